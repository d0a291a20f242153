<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en_US">
    <context>
        <name>ArchivePanel</name>
        <message>
            <source>Filter…</source>
            <translation>Filter…</translation>
        </message>
        <message>
            <source>&amp;Add</source>
            <translation>&amp;Add</translation>
        </message>
        <message>
            <source>&amp;Edit</source>
            <translation>&amp;Edit</translation>
        </message>
        <message>
            <source>&amp;Delete</source>
            <translation>&amp;Delete</translation>
        </message>
        <message>
            <source>Re&amp;fresh</source>
            <translation>Re&amp;fresh</translation>
        </message>
        <message numerus="yes">
            <source>%n record(s)</source>
            <translation>
                <numerusform>%n record</numerusform>
                <numerusform>%n records</numerusform>
            </translation>
        </message>
        <message>
            <source>Select a row first.</source>
            <translation>Select a row first.</translation>
        </message>
        <message>
            <source>Add: {archive}</source>
            <translation>Add: {archive}</translation>
        </message>
        <message>
            <source>Edit: {archive}</source>
            <translation>Edit: {archive}</translation>
        </message>
        <message>
            <source>Delete</source>
            <translation>Delete</translation>
        </message>
        <message>
            <source>Delete the selected record?</source>
            <translation>Delete the selected record?</translation>
        </message>
    </context>
    <context>
        <name>ChangePasswordDialog</name>
        <message>
            <source>Change password</source>
            <translation>Change password</translation>
        </message>
        <message>
            <source>Your password was reset. Choose a new password before you continue.</source>
            <translation>Your password was reset. Choose a new password before you continue.</translation>
        </message>
        <message>
            <source>Choose a new password.</source>
            <translation>Choose a new password.</translation>
        </message>
        <message>
            <source>&amp;Current password:</source>
            <translation>&amp;Current password:</translation>
        </message>
        <message>
            <source>&amp;New password:</source>
            <translation>&amp;New password:</translation>
        </message>
        <message>
            <source>&amp;Repeat:</source>
            <translation>&amp;Repeat:</translation>
        </message>
        <message>
            <source>The two new passwords differ.</source>
            <translation>The two new passwords differ.</translation>
        </message>
    </context>
    <context>
        <name>CrashDialog</name>
        <message>
            <source>Unexpected error</source>
            <translation>Unexpected error</translation>
        </message>
        <message>
            <source>Something went wrong inside the program. Your saved data is safe; the change you were making may not have been saved. Please copy this report and send it to your administrator.
Log file: {path}</source>
            <translation>Something went wrong inside the program. Your saved data is safe; the change you were making may not have been saved. Please copy this report and send it to your administrator.
Log file: {path}</translation>
        </message>
        <message>
            <source>Copy report</source>
            <translation>Copy report</translation>
        </message>
    </context>
    <context>
        <name>DepartmentsPanel</name>
        <message>
            <source>Departments</source>
            <translation>Departments</translation>
        </message>
        <message>
            <source>Number</source>
            <translation>Number</translation>
        </message>
        <message>
            <source>Name</source>
            <translation>Name</translation>
        </message>
        <message>
            <source>Function</source>
            <translation>Function</translation>
        </message>
        <message>
            <source>Business number</source>
            <translation>Business number</translation>
        </message>
        <message>
            <source>Number:</source>
            <translation>Number:</translation>
        </message>
        <message>
            <source>Name:</source>
            <translation>Name:</translation>
        </message>
        <message>
            <source>Function:</source>
            <translation>Function:</translation>
        </message>
        <message>
            <source>Business number:</source>
            <translation>Business number:</translation>
        </message>
    </context>
    <context>
        <name>EmployeesPanel</name>
        <message>
            <source>Employees</source>
            <translation>Employees</translation>
        </message>
        <message>
            <source>Login</source>
            <translation>Login</translation>
        </message>
        <message>
            <source>Name</source>
            <translation>Name</translation>
        </message>
        <message>
            <source>Department</source>
            <translation>Department</translation>
        </message>
        <message>
            <source>Role</source>
            <translation>Role</translation>
        </message>
        <message>
            <source>Status</source>
            <translation>Status</translation>
        </message>
        <message>
            <source>Round robin</source>
            <translation>Round robin</translation>
        </message>
        <message>
            <source>Permissions</source>
            <translation>Permissions</translation>
        </message>
        <message>
            <source>Reset password</source>
            <translation>Reset password</translation>
        </message>
        <message>
            <source>Close user</source>
            <translation>Close user</translation>
        </message>
        <message>
            <source>Ban login</source>
            <translation>Ban login</translation>
        </message>
        <message>
            <source>Reactivate</source>
            <translation>Reactivate</translation>
        </message>
        <message>
            <source>Permissions…</source>
            <translation>Permissions…</translation>
        </message>
        <message>
            <source>Switch round robin</source>
            <translation>Switch round robin</translation>
        </message>
        <message>
            <source>Department:</source>
            <translation>Department:</translation>
        </message>
        <message>
            <source>Role:</source>
            <translation>Role:</translation>
        </message>
        <message>
            <source>Login:</source>
            <translation>Login:</translation>
        </message>
        <message>
            <source>Name:</source>
            <translation>Name:</translation>
        </message>
        <message>
            <source>Initial password:</source>
            <translation>Initial password:</translation>
        </message>
        <message>
            <source>Select a row first.</source>
            <translation>Select a row first.</translation>
        </message>
        <message>
            <source>The password of {login} is back to the default; they choose a new one at next login.</source>
            <translation>The password of {login} is back to the default; they choose a new one at next login.</translation>
        </message>
        <message>
            <source>{login} is closed.</source>
            <translation>{login} is closed.</translation>
        </message>
        <message>
            <source>{login} can no longer log in.</source>
            <translation>{login} can no longer log in.</translation>
        </message>
        <message>
            <source>{login} is active again.</source>
            <translation>{login} is active again.</translation>
        </message>
        <message>
            <source>Round robin switched for {login}.</source>
            <translation>Round robin switched for {login}.</translation>
        </message>
        <message>
            <source>Permissions of {login}</source>
            <translation>Permissions of {login}</translation>
        </message>
    </context>
    <context>
        <name>LoginDialog</name>
        <message>
            <source>Log in</source>
            <translation>Log in</translation>
        </message>
        <message>
            <source>Agent desk</source>
            <translation>Agent desk</translation>
        </message>
        <message>
            <source>&amp;Login:</source>
            <translation>&amp;Login:</translation>
        </message>
        <message>
            <source>&amp;Password:</source>
            <translation>&amp;Password:</translation>
        </message>
        <message>
            <source>&amp;Remember the password on this computer</source>
            <translation>&amp;Remember the password on this computer</translation>
        </message>
        <message>
            <source>&amp;Settings…</source>
            <translation>&amp;Settings…</translation>
        </message>
        <message>
            <source>Enter your login.</source>
            <translation>Enter your login.</translation>
        </message>
        <message>
            <source>Enter your password.</source>
            <translation>Enter your password.</translation>
        </message>
    </context>
    <context>
        <name>MainWindow</name>
        <message>
            <source>&amp;System</source>
            <translation>&amp;System</translation>
        </message>
        <message>
            <source>&amp;Archives</source>
            <translation>&amp;Archives</translation>
        </message>
        <message>
            <source>&amp;Direct sales</source>
            <translation>&amp;Direct sales</translation>
        </message>
        <message>
            <source>&amp;Logistics</source>
            <translation>&amp;Logistics</translation>
        </message>
        <message>
            <source>&amp;Calls</source>
            <translation>&amp;Calls</translation>
        </message>
        <message>
            <source>S&amp;tatistics</source>
            <translation>S&amp;tatistics</translation>
        </message>
        <message>
            <source>&amp;Help</source>
            <translation>&amp;Help</translation>
        </message>
        <message>
            <source>Change &amp;password…</source>
            <translation>Change &amp;password…</translation>
        </message>
        <message>
            <source>&amp;Workstation settings…</source>
            <translation>&amp;Workstation settings…</translation>
        </message>
        <message>
            <source>&amp;Employees</source>
            <translation>&amp;Employees</translation>
        </message>
        <message>
            <source>Pa&amp;nels</source>
            <translation>Pa&amp;nels</translation>
        </message>
        <message>
            <source>E&amp;xit</source>
            <translation>E&amp;xit</translation>
        </message>
        <message>
            <source>&amp;Regions</source>
            <translation>&amp;Regions</translation>
        </message>
        <message>
            <source>&amp;Departments</source>
            <translation>&amp;Departments</translation>
        </message>
        <message>
            <source>&amp;Varieties</source>
            <translation>&amp;Varieties</translation>
        </message>
        <message>
            <source>&amp;Products</source>
            <translation>&amp;Products</translation>
        </message>
        <message>
            <source>&amp;Media</source>
            <translation>&amp;Media</translation>
        </message>
        <message>
            <source>Media p&amp;lacements</source>
            <translation>Media p&amp;lacements</translation>
        </message>
        <message>
            <source>&amp;System settings</source>
            <translation>&amp;System settings</translation>
        </message>
        <message>
            <source>Open the &amp;log folder</source>
            <translation>Open the &amp;log folder</translation>
        </message>
        <message>
            <source>&amp;About</source>
            <translation>&amp;About</translation>
        </message>
        <message>
            <source>(not available in this version)</source>
            <translation>(not available in this version)</translation>
        </message>
        <message>
            <source>Agent desk</source>
            <translation>Agent desk</translation>
        </message>
        <message>
            <source>demo</source>
            <translation>demo</translation>
        </message>
        <message>
            <source>Welcome, {name}</source>
            <translation>Welcome, {name}</translation>
        </message>
        <message>
            <source>Open archives and panels from the menus above. Your window layout is saved when you close the program.</source>
            <translation>Open archives and panels from the menus above. Your window layout is saved when you close the program.</translation>
        </message>
        <message>
            <source>User: {name} ({login}), {role}</source>
            <translation>User: {name} ({login}), {role}</translation>
        </message>
        <message>
            <source>none</source>
            <translation>none</translation>
        </message>
        <message>
            <source>Seat: {seat}</source>
            <translation>Seat: {seat}</translation>
        </message>
        <message>
            <source>Database: {db}</source>
            <translation>Database: {db}</translation>
        </message>
        <message>
            <source>{feature} could not be loaded; see the log.</source>
            <translation>{feature} could not be loaded; see the log.</translation>
        </message>
        <message>
            <source>Password changed.</source>
            <translation>Password changed.</translation>
        </message>
        <message>
            <source>About</source>
            <translation>About</translation>
        </message>
        <message>
            <source>Agent desk {version}
Call-center agent desktop.</source>
            <translation>Agent desk {version}
Call-center agent desktop.</translation>
        </message>
    </context>
    <context>
        <name>MediaPanel</name>
        <message>
            <source>Media</source>
            <translation>Media</translation>
        </message>
        <message>
            <source>Type</source>
            <translation>Type</translation>
        </message>
        <message>
            <source>Medium</source>
            <translation>Medium</translation>
        </message>
        <message>
            <source>Type:</source>
            <translation>Type:</translation>
        </message>
        <message>
            <source>Medium:</source>
            <translation>Medium:</translation>
        </message>
    </context>
    <context>
        <name>PlacementsPanel</name>
        <message>
            <source>Media placements</source>
            <translation>Media placements</translation>
        </message>
        <message>
            <source>Date</source>
            <translation>Date</translation>
        </message>
        <message>
            <source>Start</source>
            <translation>Start</translation>
        </message>
        <message>
            <source>Length (s)</source>
            <translation>Length (s)</translation>
        </message>
        <message>
            <source>Medium</source>
            <translation>Medium</translation>
        </message>
        <message>
            <source>Variety</source>
            <translation>Variety</translation>
        </message>
        <message>
            <source>Product</source>
            <translation>Product</translation>
        </message>
        <message>
            <source>Medium:</source>
            <translation>Medium:</translation>
        </message>
        <message>
            <source>Variety:</source>
            <translation>Variety:</translation>
        </message>
        <message>
            <source>Product:</source>
            <translation>Product:</translation>
        </message>
        <message>
            <source>Date:</source>
            <translation>Date:</translation>
        </message>
        <message>
            <source>Start time:</source>
            <translation>Start time:</translation>
        </message>
        <message>
            <source>Length (seconds):</source>
            <translation>Length (seconds):</translation>
        </message>
    </context>
    <context>
        <name>ProductsPanel</name>
        <message>
            <source>Products</source>
            <translation>Products</translation>
        </message>
        <message>
            <source>Product code</source>
            <translation>Product code</translation>
        </message>
        <message>
            <source>Name</source>
            <translation>Name</translation>
        </message>
        <message>
            <source>Specification</source>
            <translation>Specification</translation>
        </message>
        <message>
            <source>Variety</source>
            <translation>Variety</translation>
        </message>
        <message>
            <source>Unit</source>
            <translation>Unit</translation>
        </message>
        <message>
            <source>Short code</source>
            <translation>Short code</translation>
        </message>
        <message>
            <source>Retail price</source>
            <translation>Retail price</translation>
        </message>
        <message>
            <source>Active</source>
            <translation>Active</translation>
        </message>
        <message>
            <source>Name:</source>
            <translation>Name:</translation>
        </message>
        <message>
            <source>Specification:</source>
            <translation>Specification:</translation>
        </message>
        <message>
            <source>Variety:</source>
            <translation>Variety:</translation>
        </message>
        <message>
            <source>Unit:</source>
            <translation>Unit:</translation>
        </message>
        <message>
            <source>Short code:</source>
            <translation>Short code:</translation>
        </message>
        <message>
            <source>Retail price:</source>
            <translation>Retail price:</translation>
        </message>
        <message>
            <source>Active:</source>
            <translation>Active:</translation>
        </message>
        <message>
            <source>Product code:</source>
            <translation>Product code:</translation>
        </message>
    </context>
    <context>
        <name>RegionsPanel</name>
        <message>
            <source>Regions</source>
            <translation>Regions</translation>
        </message>
        <message>
            <source>Region</source>
            <translation>Region</translation>
        </message>
        <message>
            <source>Province</source>
            <translation>Province</translation>
        </message>
        <message>
            <source>Area code</source>
            <translation>Area code</translation>
        </message>
        <message>
            <source>Region:</source>
            <translation>Region:</translation>
        </message>
        <message>
            <source>Province:</source>
            <translation>Province:</translation>
        </message>
        <message>
            <source>Area code:</source>
            <translation>Area code:</translation>
        </message>
    </context>
    <context>
        <name>Shell</name>
        <message>
            <source>The demo data module is not installed, so the demo opens an empty database with reference data only (a fallback).</source>
            <translation>The demo data module is not installed, so the demo opens an empty database with reference data only (a fallback).</translation>
        </message>
        <message>
            <source>Database</source>
            <translation>Database</translation>
        </message>
        <message>
            <source>Retry</source>
            <translation>Retry</translation>
        </message>
        <message>
            <source>Settings…</source>
            <translation>Settings…</translation>
        </message>
        <message>
            <source>Quit</source>
            <translation>Quit</translation>
        </message>
        <message>
            <source>Agent desk</source>
            <translation>Agent desk</translation>
        </message>
        <message>
            <source>fallback: no demo data</source>
            <translation>fallback: no demo data</translation>
        </message>
    </context>
    <context>
        <name>SystemSettingsPanel</name>
        <message>
            <source>System settings</source>
            <translation>System settings</translation>
        </message>
        <message>
            <source>Browse window (last X days):</source>
            <translation>Browse window (last X days):</translation>
        </message>
        <message>
            <source>Lead window after an advert (minutes):</source>
            <translation>Lead window after an advert (minutes):</translation>
        </message>
        <message>
            <source>Time zone of the placement schedule:</source>
            <translation>Time zone of the placement schedule:</translation>
        </message>
        <message>
            <source>Saved.</source>
            <translation>Saved.</translation>
        </message>
    </context>
    <context>
        <name>VarietiesPanel</name>
        <message>
            <source>Varieties</source>
            <translation>Varieties</translation>
        </message>
        <message>
            <source>Variety</source>
            <translation>Variety</translation>
        </message>
        <message>
            <source>Active</source>
            <translation>Active</translation>
        </message>
        <message>
            <source>Variety:</source>
            <translation>Variety:</translation>
        </message>
        <message>
            <source>Active:</source>
            <translation>Active:</translation>
        </message>
    </context>
    <context>
        <name>WorkstationSettingsDialog</name>
        <message>
            <source>Workstation settings</source>
            <translation>Workstation settings</translation>
        </message>
        <message>
            <source>Data source</source>
            <translation>Data source</translation>
        </message>
        <message>
            <source>This workstation</source>
            <translation>This workstation</translation>
        </message>
        <message>
            <source>Embedded SQLite file</source>
            <translation>Embedded SQLite file</translation>
        </message>
        <message>
            <source>Shared MySQL URL</source>
            <translation>Shared MySQL URL</translation>
        </message>
        <message>
            <source>Browse…</source>
            <translation>Browse…</translation>
        </message>
        <message>
            <source>&amp;Test connection</source>
            <translation>&amp;Test connection</translation>
        </message>
        <message>
            <source>CTI server host:</source>
            <translation>CTI server host:</translation>
        </message>
        <message>
            <source>CTI server port:</source>
            <translation>CTI server port:</translation>
        </message>
        <message>
            <source>Use TLS:</source>
            <translation>Use TLS:</translation>
        </message>
        <message>
            <source>Seat number:</source>
            <translation>Seat number:</translation>
        </message>
        <message>
            <source>Groups:</source>
            <translation>Groups:</translation>
        </message>
        <message>
            <source>Default caller number:</source>
            <translation>Default caller number:</translation>
        </message>
        <message>
            <source>Temporary recording folder:</source>
            <translation>Temporary recording folder:</translation>
        </message>
        <message>
            <source>Language:</source>
            <translation>Language:</translation>
        </message>
        <message>
            <source>Read reminders aloud:</source>
            <translation>Read reminders aloud:</translation>
        </message>
        <message>
            <source>ACD groups, separated by commas, e.g. 21, 22</source>
            <translation>ACD groups, separated by commas, e.g. 21, 22</translation>
        </message>
        <message>
            <source>Database file</source>
            <translation>Database file</translation>
        </message>
        <message>
            <source>Temporary recording folder</source>
            <translation>Temporary recording folder</translation>
        </message>
        <message>
            <source>Connecting…</source>
            <translation>Connecting…</translation>
        </message>
        <message>
            <source>Failed.</source>
            <translation>Failed.</translation>
        </message>
        <message>
            <source>Connected: {server}. The schema is up to date.</source>
            <translation>Connected: {server}. The schema is up to date.</translation>
        </message>
        <message>
            <source>Enter the MySQL URL.</source>
            <translation>Enter the MySQL URL.</translation>
        </message>
        <message>
            <source>Enter group numbers separated by commas.</source>
            <translation>Enter group numbers separated by commas.</translation>
        </message>
        <message>
            <source>Use digits only.</source>
            <translation>Use digits only.</translation>
        </message>
        <message>
            <source>Enter the CTI server's host name or address.</source>
            <translation>Enter the CTI server's host name or address.</translation>
        </message>
        <message>
            <source>The settings could not be saved ({error}). Check that the disk is not full.</source>
            <translation>The settings could not be saved ({error}). Check that the disk is not full.</translation>
        </message>
    </context>
    <context>
        <name>errors</name>
        <message>
            <source>The database is empty: the administrator creates the schema with "agent-admin init-db --url …".</source>
            <translation>The database is empty: the administrator creates the schema with "agent-admin init-db --url …".</translation>
        </message>
        <message>
            <source>The database is from an older version: the administrator upgrades it with "agent-admin init-db --url …".</source>
            <translation>The database is from an older version: the administrator upgrades it with "agent-admin init-db --url …".</translation>
        </message>
        <message>
            <source>The database was upgraded by a newer version of this program: install that version on this workstation.</source>
            <translation>The database was upgraded by a newer version of this program: install that version on this workstation.</translation>
        </message>
        <message>
            <source>This is not a database URL. Use a SQLite file or mysql+pymysql://user:password@host/database.</source>
            <translation>This is not a database URL. Use a SQLite file or mysql+pymysql://user:password@host/database.</translation>
        </message>
        <message>
            <source>The database file {path} does not exist.</source>
            <translation>The database file {path} does not exist.</translation>
        </message>
        <message>
            <source>The operation could not be completed.</source>
            <translation>The operation could not be completed.</translation>
        </message>
        <message>
            <source>The value is not valid.</source>
            <translation>The value is not valid.</translation>
        </message>
        <message>
            <source>The record no longer exists; refresh and try again.</source>
            <translation>The record no longer exists; refresh and try again.</translation>
        </message>
        <message>
            <source>You do not have permission to do this. Ask an administrator.</source>
            <translation>You do not have permission to do this. Ask an administrator.</translation>
        </message>
        <message>
            <source>Wrong login or password.</source>
            <translation>Wrong login or password.</translation>
        </message>
        <message>
            <source>Too many wrong passwords. Try again in {minutes} minutes.</source>
            <translation>Too many wrong passwords. Try again in {minutes} minutes.</translation>
        </message>
        <message>
            <source>This record already exists.</source>
            <translation>This record already exists.</translation>
        </message>
        <message>
            <source>{who} changed this record at {when} after you opened it. Your changes were not saved; reload to see theirs, then make your edit again.</source>
            <translation>{who} changed this record at {when} after you opened it. Your changes were not saved; reload to see theirs, then make your edit again.</translation>
        </message>
        <message>
            <source>Cannot reach the database ({detail}). Check the network or the data source in Settings, then try again. Nothing was changed.</source>
            <translation>Cannot reach the database ({detail}). Check the network or the data source in Settings, then try again. Nothing was changed.</translation>
        </message>
        <message>
            <source>The database disk is full. Free some space (or ask the administrator), then try again. Nothing was changed.</source>
            <translation>The database disk is full. Free some space (or ask the administrator), then try again. Nothing was changed.</translation>
        </message>
        <message>
            <source>The database schema ({current}) does not match this program ({head}). {advice}</source>
            <translation>The database schema ({current}) does not match this program ({head}). {advice}</translation>
        </message>
        <message>
            <source>The password needs at least {n} characters.</source>
            <translation>The password needs at least {n} characters.</translation>
        </message>
        <message>
            <source>Choose a password other than the default.</source>
            <translation>Choose a password other than the default.</translation>
        </message>
        <message>
            <source>The current password is wrong.</source>
            <translation>The current password is wrong.</translation>
        </message>
        <message>
            <source>The login must be 1-32 letters or digits.</source>
            <translation>The login must be 1-32 letters or digits.</translation>
        </message>
        <message>
            <source>The name is required.</source>
            <translation>The name is required.</translation>
        </message>
        <message>
            <source>The login {login} is already taken.</source>
            <translation>The login {login} is already taken.</translation>
        </message>
        <message>
            <source>You cannot close or ban your own account.</source>
            <translation>You cannot close or ban your own account.</translation>
        </message>
        <message>
            <source>There is no department named {name}.</source>
            <translation>There is no department named {name}.</translation>
        </message>
        <message>
            <source>Enter a whole number from {lo} to {hi}.</source>
            <translation>Enter a whole number from {lo} to {hi}.</translation>
        </message>
        <message>
            <source>Unknown time zone; use a name like Asia/Shanghai.</source>
            <translation>Unknown time zone; use a name like Asia/Shanghai.</translation>
        </message>
        <message>
            <source>This field is required.</source>
            <translation>This field is required.</translation>
        </message>
        <message>
            <source>At most {n} characters.</source>
            <translation>At most {n} characters.</translation>
        </message>
        <message>
            <source>The retail price is required.</source>
            <translation>The retail price is required.</translation>
        </message>
        <message>
            <source>Enter a price like 398 or 398.50.</source>
            <translation>Enter a price like 398 or 398.50.</translation>
        </message>
        <message>
            <source>The price must be greater than zero.</source>
            <translation>The price must be greater than zero.</translation>
        </message>
        <message>
            <source>{value} is already in use.</source>
            <translation>{value} is already in use.</translation>
        </message>
        <message>
            <source>This record is still in use and cannot be deleted. Deactivate it instead.</source>
            <translation>This record is still in use and cannot be deleted. Deactivate it instead.</translation>
        </message>
        <message>
            <source>An area code is 0 followed by 2 or 3 digits, e.g. 0571.</source>
            <translation>An area code is 0 followed by 2 or 3 digits, e.g. 0571.</translation>
        </message>
        <message>
            <source>Use digits only.</source>
            <translation>Use digits only.</translation>
        </message>
        <message>
            <source>Use letters and digits only.</source>
            <translation>Use letters and digits only.</translation>
        </message>
        <message>
            <source>Choose a variety from the list.</source>
            <translation>Choose a variety from the list.</translation>
        </message>
        <message>
            <source>The length is 1 to 86400 seconds.</source>
            <translation>The length is 1 to 86400 seconds.</translation>
        </message>
        <message>
            <source>Choose a medium from the list.</source>
            <translation>Choose a medium from the list.</translation>
        </message>
        <message>
            <source>The product must be of the chosen variety.</source>
            <translation>The product must be of the chosen variety.</translation>
        </message>
        <message>
            <source>Unknown setting {key}.</source>
            <translation>Unknown setting {key}.</translation>
        </message>
        <message>
            <source>The database already holds {n} customers; demo data goes into a new, empty database. Nothing was changed.</source>
            <translation>The database already holds {n} customers; demo data goes into a new, empty database. Nothing was changed.</translation>
        </message>
        <message>
            <source>Digits only, at most 32.</source>
            <translation>Digits only, at most 32.</translation>
        </message>
        <message>
            <source>A group number is 1-8 digits.</source>
            <translation>A group number is 1-8 digits.</translation>
        </message>
        <message>
            <source>The ring timeout is 1 to 60 seconds.</source>
            <translation>The ring timeout is 1 to 60 seconds.</translation>
        </message>
        <message>
            <source>The queue length is 0 to 10000.</source>
            <translation>The queue length is 0 to 10000.</translation>
        </message>
        <message>
            <source>Wrap-up is 0 to 3600 seconds.</source>
            <translation>Wrap-up is 0 to 3600 seconds.</translation>
        </message>
        <message>
            <source>A group cannot overflow to itself.</source>
            <translation>A group cannot overflow to itself.</translation>
        </message>
        <message>
            <source>There is no group {number}.</source>
            <translation>There is no group {number}.</translation>
        </message>
        <message>
            <source>There is no medium named {name}.</source>
            <translation>There is no medium named {name}.</translation>
        </message>
        <message>
            <source>Duplicate record: {phone} already belongs to {name} ({registration_no}).</source>
            <translation>Duplicate record: {phone} already belongs to {name} ({registration_no}).</translation>
        </message>
        <message>
            <source>Give at least one phone number.</source>
            <translation>Give at least one phone number.</translation>
        </message>
        <message>
            <source>{phone} is not a mobile number (11 digits starting with 1).</source>
            <translation>{phone} is not a mobile number (11 digits starting with 1).</translation>
        </message>
        <message>
            <source>Give the landline with its area code, e.g. 0571-88001234.</source>
            <translation>Give the landline with its area code, e.g. 0571-88001234.</translation>
        </message>
    </context>
    <context>
        <name>i18n</name>
        <message>
            <source>System default</source>
            <translation>System default</translation>
        </message>
    </context>
    <context>
        <name>labels</name>
        <message>
            <source>Super administrator</source>
            <translation>Super administrator</translation>
        </message>
        <message>
            <source>Administrator</source>
            <translation>Administrator</translation>
        </message>
        <message>
            <source>Operator</source>
            <translation>Operator</translation>
        </message>
        <message>
            <source>Active</source>
            <translation>Active</translation>
        </message>
        <message>
            <source>Closed</source>
            <translation>Closed</translation>
        </message>
        <message>
            <source>Login banned</source>
            <translation>Login banned</translation>
        </message>
        <message>
            <source>Statistics</source>
            <translation>Statistics</translation>
        </message>
        <message>
            <source>Remote access</source>
            <translation>Remote access</translation>
        </message>
        <message>
            <source>Dispatch feedback</source>
            <translation>Dispatch feedback</translation>
        </message>
        <message>
            <source>Delete withdrawn orders</source>
            <translation>Delete withdrawn orders</translation>
        </message>
        <message>
            <source>Withdraw erroneous orders</source>
            <translation>Withdraw erroneous orders</translation>
        </message>
        <message>
            <source>Cancel orders</source>
            <translation>Cancel orders</translation>
        </message>
        <message>
            <source>Monitoring</source>
            <translation>Monitoring</translation>
        </message>
        <message>
            <source>Recordings</source>
            <translation>Recordings</translation>
        </message>
        <message>
            <source>Export</source>
            <translation>Export</translation>
        </message>
        <message>
            <source>Archive maintenance</source>
            <translation>Archive maintenance</translation>
        </message>
        <message>
            <source>Customer maintenance</source>
            <translation>Customer maintenance</translation>
        </message>
        <message>
            <source>Missed-call allocation</source>
            <translation>Missed-call allocation</translation>
        </message>
        <message>
            <source>Notices and broadcasts</source>
            <translation>Notices and broadcasts</translation>
        </message>
    </context>
</TS>