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
        <name>CallConsolePanel</name>
        <message>
            <source>Call console</source>
            <translation>Call console</translation>
        </message>
        <message>
            <source>Ready (F4)</source>
            <translation>Ready (F4)</translation>
        </message>
        <message>
            <source>Busy (F5)</source>
            <translation>Busy (F5)</translation>
        </message>
        <message>
            <source>Caller</source>
            <translation>Caller</translation>
        </message>
        <message>
            <source>Dialled number</source>
            <translation>Dialled number</translation>
        </message>
        <message>
            <source>Answer (F2)</source>
            <translation>Answer (F2)</translation>
        </message>
        <message>
            <source>Hang up (F3)</source>
            <translation>Hang up (F3)</translation>
        </message>
        <message>
            <source>Transfer…</source>
            <translation>Transfer…</translation>
        </message>
        <message>
            <source>Notes on this call (saved to the customer's contact log)</source>
            <translation>Notes on this call (saved to the customer's contact log)</translation>
        </message>
        <message>
            <source>Save</source>
            <translation>Save</translation>
        </message>
        <message>
            <source>Link: {state}</source>
            <translation>Link: {state}</translation>
        </message>
        <message>
            <source>Logged in</source>
            <translation>Logged in</translation>
        </message>
        <message>
            <source>Not logged in</source>
            <translation>Not logged in</translation>
        </message>
        <message>
            <source>Disconnect</source>
            <translation>Disconnect</translation>
        </message>
        <message>
            <source>Connect</source>
            <translation>Connect</translation>
        </message>
        <message>
            <source>Link: {detail}</source>
            <translation>Link: {detail}</translation>
        </message>
        <message>
            <source>{verb}: {text}</source>
            <translation>{verb}: {text}</translation>
        </message>
        <message>
            <source>Resume</source>
            <translation>Resume</translation>
        </message>
        <message>
            <source>Hold</source>
            <translation>Hold</translation>
        </message>
        <message>
            <source>CTI link not connected</source>
            <translation>CTI link not connected</translation>
        </message>
        <message>
            <source>Notes saved.</source>
            <translation>Notes saved.</translation>
        </message>
        <message>
            <source>No customer is open for this call: register or pick the customer first.</source>
            <translation>No customer is open for this call: register or pick the customer first.</translation>
        </message>
        <message>
            <source>Not connecting: the CTI server's certificate has CHANGED (SHA-256 {now}, trusted before: {pinned}). Another machine may be posing as the server. If the administrator replaced the certificate, clear the remembered one in Workstation settings.</source>
            <translation>Not connecting: the CTI server's certificate has CHANGED (SHA-256 {now}, trusted before: {pinned}). Another machine may be posing as the server. If the administrator replaced the certificate, clear the remembered one in Workstation settings.</translation>
        </message>
        <message>
            <source>Not connecting: the CTI server's certificate is not trusted or the server does not speak TLS (tls_failed).</source>
            <translation>Not connecting: the CTI server's certificate is not trusted or the server does not speak TLS (tls_failed).</translation>
        </message>
        <message>
            <source>TLS, server certificate SHA-256 {fingerprint}</source>
            <translation>TLS, server certificate SHA-256 {fingerprint}</translation>
        </message>
        <message>
            <source>Plaintext: not encrypted</source>
            <translation>Plaintext: not encrypted</translation>
        </message>
    </context>
    <context>
        <name>CallQueryPanel</name>
        <message>
            <source>Call query</source>
            <translation>Call query</translation>
        </message>
        <message>
            <source>Time</source>
            <translation>Time</translation>
        </message>
        <message>
            <source>Direction</source>
            <translation>Direction</translation>
        </message>
        <message>
            <source>Caller</source>
            <translation>Caller</translation>
        </message>
        <message>
            <source>Dialled number</source>
            <translation>Dialled number</translation>
        </message>
        <message>
            <source>Seat</source>
            <translation>Seat</translation>
        </message>
        <message>
            <source>Agent</source>
            <translation>Agent</translation>
        </message>
        <message>
            <source>Talk time</source>
            <translation>Talk time</translation>
        </message>
        <message>
            <source>Result</source>
            <translation>Result</translation>
        </message>
        <message>
            <source>Medium</source>
            <translation>Medium</translation>
        </message>
        <message>
            <source>Region</source>
            <translation>Region</translation>
        </message>
        <message>
            <source>Customer</source>
            <translation>Customer</translation>
        </message>
        <message>
            <source>Recording</source>
            <translation>Recording</translation>
        </message>
        <message>
            <source>From</source>
            <translation>From</translation>
        </message>
        <message>
            <source>To</source>
            <translation>To</translation>
        </message>
        <message>
            <source>Type</source>
            <translation>Type</translation>
        </message>
        <message>
            <source>e.g. 4006000000</source>
            <translation>e.g. 4006000000</translation>
        </message>
        <message>
            <source>e.g. 8001</source>
            <translation>e.g. 8001</translation>
        </message>
        <message>
            <source>&amp;Search</source>
            <translation>&amp;Search</translation>
        </message>
        <message>
            <source>All</source>
            <translation>All</translation>
        </message>
        <message>
            <source>Inbound</source>
            <translation>Inbound</translation>
        </message>
        <message>
            <source>Outbound</source>
            <translation>Outbound</translation>
        </message>
        <message>
            <source>Valid</source>
            <translation>Valid</translation>
        </message>
        <message>
            <source>Invalid</source>
            <translation>Invalid</translation>
        </message>
        <message>
            <source>Sale</source>
            <translation>Sale</translation>
        </message>
        <message>
            <source>Consultation</source>
            <translation>Consultation</translation>
        </message>
        <message>
            <source>Select all</source>
            <translation>Select all</translation>
        </message>
        <message>
            <source>Select none</source>
            <translation>Select none</translation>
        </message>
        <message>
            <source>Invert selection</source>
            <translation>Invert selection</translation>
        </message>
        <message>
            <source>Play</source>
            <translation>Play</translation>
        </message>
        <message>
            <source>Export recordings…</source>
            <translation>Export recordings…</translation>
        </message>
        <message>
            <source>Export to Excel…</source>
            <translation>Export to Excel…</translation>
        </message>
        <message>
            <source>Searching…</source>
            <translation>Searching…</translation>
        </message>
        <message numerus="yes">
            <source>%n call(s) shown.</source>
            <translation>
                <numerusform>%n call shown.</numerusform>
                <numerusform>%n calls shown.</numerusform>
            </translation>
        </message>
        <message>
            <source>Scroll down for more.</source>
            <translation>Scroll down for more.</translation>
        </message>
        <message>
            <source>Choose a call with a recording (♪).</source>
            <translation>Choose a call with a recording (♪).</translation>
        </message>
        <message>
            <source>Export recordings to</source>
            <translation>Export recordings to</translation>
        </message>
        <message>
            <source>Export the calls to Excel</source>
            <translation>Export the calls to Excel</translation>
        </message>
        <message>
            <source>Excel workbook (*.xlsx)</source>
            <translation>Excel workbook (*.xlsx)</translation>
        </message>
        <message>
            <source>Exporting recording {i} of {n}…</source>
            <translation>Exporting recording {i} of {n}…</translation>
        </message>
        <message numerus="yes">
            <source>%n recording(s) exported to {folder}.</source>
            <translation>
                <numerusform>%n recording exported to {folder}.</numerusform>
                <numerusform>%n recordings exported to {folder}.</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>%n could not be fetched.</source>
            <translation>
                <numerusform>%n could not be fetched.</numerusform>
                <numerusform>%n could not be fetched.</numerusform>
            </translation>
        </message>
        <message>
            <source>Not exported: {error}</source>
            <translation>Not exported: {error}</translation>
        </message>
        <message numerus="yes">
            <source>%n call(s) exported to {path}.</source>
            <translation>
                <numerusform>%n call exported to {path}.</numerusform>
                <numerusform>%n calls exported to {path}.</numerusform>
            </translation>
        </message>
        <message>
            <source>More conditions</source>
            <translation>More conditions</translation>
        </message>
        <message numerus="yes">
            <source>More conditions (%n set)</source>
            <translation>
                <numerusform>More conditions (%n set)</numerusform>
                <numerusform>More conditions (%n set)</numerusform>
            </translation>
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
        <name>ChartView</name>
        <message>
            <source>No data</source>
            <translation>No data</translation>
        </message>
    </context>
    <context>
        <name>ContactsTab</name>
        <message>
            <source>Time</source>
            <translation>Time</translation>
        </message>
        <message>
            <source>Channel</source>
            <translation>Channel</translation>
        </message>
        <message>
            <source>Staff</source>
            <translation>Staff</translation>
        </message>
        <message>
            <source>Content</source>
            <translation>Content</translation>
        </message>
        <message>
            <source>Demand</source>
            <translation>Demand</translation>
        </message>
        <message>
            <source>Variety</source>
            <translation>Variety</translation>
        </message>
        <message>
            <source>(demand type)</source>
            <translation>(demand type)</translation>
        </message>
        <message>
            <source>Contact</source>
            <translation>Contact</translation>
        </message>
        <message>
            <source>Co&amp;ntent</source>
            <translation>Co&amp;ntent</translation>
        </message>
        <message>
            <source>Demand details</source>
            <translation>Demand details</translation>
        </message>
        <message>
            <source>Our staff</source>
            <translation>Our staff</translation>
        </message>
        <message>
            <source>New contact</source>
            <translation>New contact</translation>
        </message>
        <message>
            <source>Save contact</source>
            <translation>Save contact</translation>
        </message>
        <message>
            <source>(variety)</source>
            <translation>(variety)</translation>
        </message>
        <message>
            <source>Contact saved.</source>
            <translation>Contact saved.</translation>
        </message>
        <message>
            <source>Save the contact (Return in its fields)</source>
            <translation>Save the contact (Return in its fields)</translation>
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
        <name>CtiBridge</name>
        <message>
            <source>CTI link not connected</source>
            <translation>CTI link not connected</translation>
        </message>
        <message>
            <source>Not possible in the present state of the agent or the call.</source>
            <translation>Not possible in the present state of the agent or the call.</translation>
        </message>
        <message>
            <source>You are not permitted to do this.</source>
            <translation>You are not permitted to do this.</translation>
        </message>
        <message>
            <source>The CTI link dropped; try again when it is back.</source>
            <translation>The CTI link dropped; try again when it is back.</translation>
        </message>
        <message>
            <source>The CTI server did not answer in time.</source>
            <translation>The CTI server did not answer in time.</translation>
        </message>
        <message>
            <source>The call has already ended.</source>
            <translation>The call has already ended.</translation>
        </message>
        <message>
            <source>Not accepted: {detail}</source>
            <translation>Not accepted: {detail}</translation>
        </message>
        <message>
            <source>There is no call.</source>
            <translation>There is no call.</translation>
        </message>
    </context>
    <context>
        <name>CustomerDirectoryPanel</name>
        <message>
            <source>Reg. no.</source>
            <translation>Reg. no.</translation>
        </message>
        <message>
            <source>Customer name</source>
            <translation>Customer name</translation>
        </message>
        <message>
            <source>Mobile</source>
            <translation>Mobile</translation>
        </message>
        <message>
            <source>Phone</source>
            <translation>Phone</translation>
        </message>
        <message>
            <source>Address</source>
            <translation>Address</translation>
        </message>
        <message>
            <source>Region</source>
            <translation>Region</translation>
        </message>
        <message>
            <source>Class</source>
            <translation>Class</translation>
        </message>
        <message>
            <source>Owner</source>
            <translation>Owner</translation>
        </message>
        <message>
            <source>Registered</source>
            <translation>Registered</translation>
        </message>
        <message>
            <source>Customer directory</source>
            <translation>Customer directory</translation>
        </message>
        <message>
            <source>Last</source>
            <translation>Last</translation>
        </message>
        <message>
            <source> days</source>
            <translation> days</translation>
        </message>
        <message>
            <source>Refresh</source>
            <translation>Refresh</translation>
        </message>
        <message>
            <source>Search</source>
            <translation>Search</translation>
        </message>
        <message>
            <source>Advanced…</source>
            <translation>Advanced…</translation>
        </message>
        <message>
            <source>Search text</source>
            <translation>Search text</translation>
        </message>
        <message>
            <source>last {days} day(s)</source>
            <translation>last {days} day(s)</translation>
        </message>
        <message>
            <source>Type what to search for.</source>
            <translation>Type what to search for.</translation>
        </message>
        <message>
            <source>search</source>
            <translation>search</translation>
        </message>
        <message>
            <source>query</source>
            <translation>query</translation>
        </message>
        <message>
            <source>, more below</source>
            <translation>, more below</translation>
        </message>
        <message numerus="yes">
            <source>%n customer(s)</source>
            <translation>
                <numerusform>%n customer</numerusform>
                <numerusform>%n customers</numerusform>
            </translation>
        </message>
    </context>
    <context>
        <name>CustomerMaintenancePanel</name>
        <message>
            <source>Customer maintenance</source>
            <translation>Customer maintenance</translation>
        </message>
        <message>
            <source>Order no.</source>
            <translation>Order no.</translation>
        </message>
        <message>
            <source>Date</source>
            <translation>Date</translation>
        </message>
        <message>
            <source>Amount</source>
            <translation>Amount</translation>
        </message>
        <message>
            <source>Status</source>
            <translation>Status</translation>
        </message>
        <message>
            <source>Confirmed</source>
            <translation>Confirmed</translation>
        </message>
        <message>
            <source>Variety</source>
            <translation>Variety</translation>
        </message>
        <message>
            <source>Due</source>
            <translation>Due</translation>
        </message>
        <message>
            <source>Done</source>
            <translation>Done</translation>
        </message>
        <message>
            <source>Set by</source>
            <translation>Set by</translation>
        </message>
        <message>
            <source>Note</source>
            <translation>Note</translation>
        </message>
        <message>
            <source>Search text</source>
            <translation>Search text</translation>
        </message>
        <message>
            <source>Emplo&amp;yee</source>
            <translation>Emplo&amp;yee</translation>
        </message>
        <message>
            <source>Search</source>
            <translation>Search</translation>
        </message>
        <message>
            <source>Set owner</source>
            <translation>Set owner</translation>
        </message>
        <message>
            <source>Set callback agent</source>
            <translation>Set callback agent</translation>
        </message>
        <message>
            <source>Transfer</source>
            <translation>Transfer</translation>
        </message>
        <message>
            <source>Remove selected orders</source>
            <translation>Remove selected orders</translation>
        </message>
        <message>
            <source>Cancel selected reminders</source>
            <translation>Cancel selected reminders</translation>
        </message>
        <message>
            <source>Orders of the current customer</source>
            <translation>Orders of the current customer</translation>
        </message>
        <message>
            <source>Reminders of the current customer</source>
            <translation>Reminders of the current customer</translation>
        </message>
        <message>
            <source>Type what to search for.</source>
            <translation>Type what to search for.</translation>
        </message>
        <message>
            <source>Select customers and an employee first.</source>
            <translation>Select customers and an employee first.</translation>
        </message>
        <message>
            <source>{n} customer(s) changed.</source>
            <translation>{n} customer(s) changed.</translation>
        </message>
        <message>
            <source>Make {who} the owner of {n} customer(s)?</source>
            <translation>Make {who} the owner of {n} customer(s)?</translation>
        </message>
        <message>
            <source>Make {who} the callback agent of {n} customer(s)?</source>
            <translation>Make {who} the callback agent of {n} customer(s)?</translation>
        </message>
        <message>
            <source>Transfer {n} customer(s) to {who}?</source>
            <translation>Transfer {n} customer(s) to {who}?</translation>
        </message>
        <message>
            <source>Select the duplicate orders first.</source>
            <translation>Select the duplicate orders first.</translation>
        </message>
        <message>
            <source>Remove {n} duplicate order(s)? Only unconfirmed or cancelled orders can be removed.</source>
            <translation>Remove {n} duplicate order(s)? Only unconfirmed or cancelled orders can be removed.</translation>
        </message>
        <message>
            <source>{n} order(s) removed.</source>
            <translation>{n} order(s) removed.</translation>
        </message>
        <message>
            <source>Select the reminders first.</source>
            <translation>Select the reminders first.</translation>
        </message>
        <message>
            <source>Cancel {n} reminder(s)?</source>
            <translation>Cancel {n} reminder(s)?</translation>
        </message>
        <message>
            <source>{n} reminder(s) cancelled.</source>
            <translation>{n} reminder(s) cancelled.</translation>
        </message>
    </context>
    <context>
        <name>CustomerQueryDialog</name>
        <message>
            <source>Customer query</source>
            <translation>Customer query</translation>
        </message>
        <message>
            <source>Registration &amp;date</source>
            <translation>Registration &amp;date</translation>
        </message>
        <message>
            <source>Registration &amp;time</source>
            <translation>Registration &amp;time</translation>
        </message>
        <message>
            <source>&amp;Region</source>
            <translation>&amp;Region</translation>
        </message>
        <message>
            <source>&amp;Variety</source>
            <translation>&amp;Variety</translation>
        </message>
        <message>
            <source>Sta&amp;ff</source>
            <translation>Sta&amp;ff</translation>
        </message>
        <message>
            <source>to</source>
            <translation>to</translation>
        </message>
        <message>
            <source>Sale / consultation</source>
            <translation>Sale / consultation</translation>
        </message>
        <message>
            <source>Class</source>
            <translation>Class</translation>
        </message>
        <message>
            <source>Source</source>
            <translation>Source</translation>
        </message>
        <message>
            <source>Find</source>
            <translation>Find</translation>
        </message>
        <message>
            <source>&amp;Search</source>
            <translation>&amp;Search</translation>
        </message>
        <message>
            <source>Sale (has orders)</source>
            <translation>Sale (has orders)</translation>
        </message>
        <message>
            <source>Consultation only</source>
            <translation>Consultation only</translation>
        </message>
        <message>
            <source>All</source>
            <translation>All</translation>
        </message>
        <message>
            <source>(no text criterion)</source>
            <translation>(no text criterion)</translation>
        </message>
        <message>
            <source>Choose which field the text is searched in.</source>
            <translation>Choose which field the text is searched in.</translation>
        </message>
        <message>
            <source>customer query</source>
            <translation>customer query</translation>
        </message>
    </context>
    <context>
        <name>CustomerRecordPanel</name>
        <message>
            <source>Customer record — {name} · {no}</source>
            <translation>Customer record — {name} · {no}</translation>
        </message>
        <message>
            <source>Customer record — new customer</source>
            <translation>Customer record — new customer</translation>
        </message>
        <message>
            <source>Customer record</source>
            <translation>Customer record</translation>
        </message>
        <message>
            <source>&amp;Profile</source>
            <translation>&amp;Profile</translation>
        </message>
        <message>
            <source>C&amp;ontacts</source>
            <translation>C&amp;ontacts</translation>
        </message>
        <message>
            <source>Rem&amp;inders</source>
            <translation>Rem&amp;inders</translation>
        </message>
        <message>
            <source>Sal&amp;es</source>
            <translation>Sal&amp;es</translation>
        </message>
        <message>
            <source>&amp;Feedback</source>
            <translation>&amp;Feedback</translation>
        </message>
        <message>
            <source>Sa&amp;ve</source>
            <translation>Sa&amp;ve</translation>
        </message>
        <message>
            <source>Sell (F7)</source>
            <translation>Sell (F7)</translation>
        </message>
        <message>
            <source>Re&amp;mind</source>
            <translation>Re&amp;mind</translation>
        </message>
        <message>
            <source>Dial</source>
            <translation>Dial</translation>
        </message>
        <message>
            <source>Save the profile (Ctrl+S)</source>
            <translation>Save the profile (Ctrl+S)</translation>
        </message>
        <message>
            <source>Open e&amp;xisting record</source>
            <translation>Open e&amp;xisting record</translation>
        </message>
        <message>
            <source>Customer {no} registered.</source>
            <translation>Customer {no} registered.</translation>
        </message>
        <message>
            <source>Saved.</source>
            <translation>Saved.</translation>
        </message>
        <message>
            <source>Save the customer first, then sell.</source>
            <translation>Save the customer first, then sell.</translation>
        </message>
        <message>
            <source>Save the customer first, then set a reminder.</source>
            <translation>Save the customer first, then set a reminder.</translation>
        </message>
        <message>
            <source>This customer has no phone number.</source>
            <translation>This customer has no phone number.</translation>
        </message>
        <message>
            <source>CTI link not connected</source>
            <translation>CTI link not connected</translation>
        </message>
        <message>
            <source>Dialling {number}…</source>
            <translation>Dialling {number}…</translation>
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
        <name>DialPad</name>
        <message>
            <source>Number to dial</source>
            <translation>Number to dial</translation>
        </message>
        <message>
            <source>Dial</source>
            <translation>Dial</translation>
        </message>
        <message>
            <source>Keypad</source>
            <translation>Keypad</translation>
        </message>
        <message>
            <source>Delete the last digit</source>
            <translation>Delete the last digit</translation>
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
        <name>ExcelExport</name>
        <message>
            <source>Export to Excel</source>
            <translation>Export to Excel</translation>
        </message>
        <message>
            <source>Excel workbook (*.xlsx)</source>
            <translation>Excel workbook (*.xlsx)</translation>
        </message>
        <message>
            <source>Preparing {name}…</source>
            <translation>Preparing {name}…</translation>
        </message>
        <message>
            <source>Cancel</source>
            <translation>Cancel</translation>
        </message>
        <message numerus="yes">
            <source>%n row(s) written…</source>
            <translation>
                <numerusform>%n row written…</numerusform>
                <numerusform>%n rows written…</numerusform>
            </translation>
        </message>
        <message>
            <source>Cancelling…</source>
            <translation>Cancelling…</translation>
        </message>
        <message numerus="yes">
            <source>%n row(s) exported to {path}.</source>
            <translation>
                <numerusform>%n row exported to {path}.</numerusform>
                <numerusform>%n rows exported to {path}.</numerusform>
            </translation>
        </message>
        <message>
            <source>The export failed: {error}. No file was written.</source>
            <translation>The export failed: {error}. No file was written.</translation>
        </message>
        <message>
            <source>The export was cancelled. No file was written.</source>
            <translation>The export was cancelled. No file was written.</translation>
        </message>
    </context>
    <context>
        <name>FeedbackTab</name>
        <message>
            <source>Time</source>
            <translation>Time</translation>
        </message>
        <message>
            <source>Staff</source>
            <translation>Staff</translation>
        </message>
        <message>
            <source>Opinion or suggestion</source>
            <translation>Opinion or suggestion</translation>
        </message>
        <message>
            <source>The customer's opinion or suggestion</source>
            <translation>The customer's opinion or suggestion</translation>
        </message>
        <message>
            <source>Add</source>
            <translation>Add</translation>
        </message>
        <message>
            <source>Add the opinion or suggestion</source>
            <translation>Add the opinion or suggestion</translation>
        </message>
        <message>
            <source>Refresh</source>
            <translation>Refresh</translation>
        </message>
    </context>
    <context>
        <name>GlanceLabel</name>
        <message>
            <source>(not confirmed)</source>
            <translation>(not confirmed)</translation>
        </message>
        <message>
            <source>none</source>
            <translation>none</translation>
        </message>
        <message numerus="yes">
            <source>Recent orders (%n in all)</source>
            <translation>
                <numerusform>Recent orders (%n in all)</numerusform>
                <numerusform>Recent orders (%n in all)</numerusform>
            </translation>
        </message>
        <message>
            <source>Open reminders</source>
            <translation>Open reminders</translation>
        </message>
        <message>
            <source>Last contacts</source>
            <translation>Last contacts</translation>
        </message>
    </context>
    <context>
        <name>InternalNumbersPanel</name>
        <message>
            <source>Internal numbers</source>
            <translation>Internal numbers</translation>
        </message>
        <message>
            <source>Number</source>
            <translation>Number</translation>
        </message>
        <message>
            <source>Note</source>
            <translation>Note</translation>
        </message>
        <message>
            <source>Changed by</source>
            <translation>Changed by</translation>
        </message>
        <message>
            <source>&amp;New</source>
            <translation>&amp;New</translation>
        </message>
        <message>
            <source>&amp;Save</source>
            <translation>&amp;Save</translation>
        </message>
        <message>
            <source>&amp;Delete</source>
            <translation>&amp;Delete</translation>
        </message>
        <message>
            <source>Saved {digits}.</source>
            <translation>Saved {digits}.</translation>
        </message>
        <message>
            <source>Choose the number to delete.</source>
            <translation>Choose the number to delete.</translation>
        </message>
        <message>
            <source>Deleted {digits}.</source>
            <translation>Deleted {digits}.</translation>
        </message>
        <message>
            <source>System</source>
            <translation>System</translation>
        </message>
        <message>
            <source>Read-only: internal numbers are maintained by administrators.</source>
            <translation>Read-only: internal numbers are maintained by administrators.</translation>
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
            <source>Database {db} unreachable: trying again…</source>
            <translation>Database {db} unreachable: trying again…</translation>
        </message>
        <message>
            <source>The database can be reached again; repeat what failed.</source>
            <translation>The database can be reached again; repeat what failed.</translation>
        </message>
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
        <message>
            <source>Database: {db}, through {server}</source>
            <translation>Database: {db}, through {server}</translation>
        </message>
        <message>
            <source>Database server {old} stopped answering; the desk now works through {new}. Repeat anything that failed; your open forms are kept.</source>
            <translation>Database server {old} stopped answering; the desk now works through {new}. Repeat anything that failed; your open forms are kept.</translation>
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
        <name>MissedCallsPanel</name>
        <message>
            <source>Missed calls</source>
            <translation>Missed calls</translation>
        </message>
        <message numerus="yes">
            <source>%n missed call(s).</source>
            <translation>
                <numerusform>%n missed call.</numerusform>
                <numerusform>%n missed calls.</numerusform>
            </translation>
        </message>
        <message>
            <source>Time</source>
            <translation>Time</translation>
        </message>
        <message>
            <source>Caller</source>
            <translation>Caller</translation>
        </message>
        <message>
            <source>Dialled number</source>
            <translation>Dialled number</translation>
        </message>
        <message>
            <source>Waited</source>
            <translation>Waited</translation>
        </message>
        <message>
            <source>Result</source>
            <translation>Result</translation>
        </message>
        <message>
            <source>Customer</source>
            <translation>Customer</translation>
        </message>
        <message>
            <source>Allocated to</source>
            <translation>Allocated to</translation>
        </message>
        <message>
            <source>Called back</source>
            <translation>Called back</translation>
        </message>
        <message>
            <source>From</source>
            <translation>From</translation>
        </message>
        <message>
            <source>To</source>
            <translation>To</translation>
        </message>
        <message>
            <source>All missed calls</source>
            <translation>All missed calls</translation>
        </message>
        <message>
            <source>Allocated to me</source>
            <translation>Allocated to me</translation>
        </message>
        <message>
            <source>Include called back</source>
            <translation>Include called back</translation>
        </message>
        <message>
            <source>&amp;Refresh</source>
            <translation>&amp;Refresh</translation>
        </message>
        <message>
            <source>Allocate the ticked calls to</source>
            <translation>Allocate the ticked calls to</translation>
        </message>
        <message>
            <source>Allocate</source>
            <translation>Allocate</translation>
        </message>
        <message>
            <source>Call back</source>
            <translation>Call back</translation>
        </message>
        <message>
            <source>Tick the calls and choose an agent first.</source>
            <translation>Tick the calls and choose an agent first.</translation>
        </message>
        <message numerus="yes">
            <source>%n call(s) allocated to {login}.</source>
            <translation>
                <numerusform>%n call allocated to {login}.</numerusform>
                <numerusform>%n calls allocated to {login}.</numerusform>
            </translation>
        </message>
        <message>
            <source>Choose the call to return.</source>
            <translation>Choose the call to return.</translation>
        </message>
        <message>
            <source>CTI link not connected</source>
            <translation>CTI link not connected</translation>
        </message>
        <message>
            <source>Call back (Enter)</source>
            <translation>Call back (Enter)</translation>
        </message>
        <message>
            <source>Dial the chosen caller: Enter on the row</source>
            <translation>Dial the chosen caller: Enter on the row</translation>
        </message>
    </context>
    <context>
        <name>OrderDialog</name>
        <message>
            <source>Sales order</source>
            <translation>Sales order</translation>
        </message>
        <message>
            <source>New order</source>
            <translation>New order</translation>
        </message>
        <message>
            <source>Customer</source>
            <translation>Customer</translation>
        </message>
        <message>
            <source>Delivery</source>
            <translation>Delivery</translation>
        </message>
        <message>
            <source>Product</source>
            <translation>Product</translation>
        </message>
        <message>
            <source>Unit price</source>
            <translation>Unit price</translation>
        </message>
        <message>
            <source>Qty</source>
            <translation>Qty</translation>
        </message>
        <message>
            <source>Kind</source>
            <translation>Kind</translation>
        </message>
        <message>
            <source>Trial</source>
            <translation>Trial</translation>
        </message>
        <message>
            <source>Amount</source>
            <translation>Amount</translation>
        </message>
        <message>
            <source>&amp;Add line</source>
            <translation>&amp;Add line</translation>
        </message>
        <message>
            <source>&amp;Delete line</source>
            <translation>&amp;Delete line</translation>
        </message>
        <message>
            <source>C&amp;lear</source>
            <translation>C&amp;lear</translation>
        </message>
        <message>
            <source>Deli&amp;very</source>
            <translation>Deli&amp;very</translation>
        </message>
        <message>
            <source>Pa&amp;yment</source>
            <translation>Pa&amp;yment</translation>
        </message>
        <message>
            <source>&amp;Medium</source>
            <translation>&amp;Medium</translation>
        </message>
        <message>
            <source>Re&amp;quirements</source>
            <translation>Re&amp;quirements</translation>
        </message>
        <message>
            <source>Remar&amp;k</source>
            <translation>Remar&amp;k</translation>
        </message>
        <message>
            <source>&amp;History</source>
            <translation>&amp;History</translation>
        </message>
        <message>
            <source>&amp;OK</source>
            <translation>&amp;OK</translation>
        </message>
        <message>
            <source>Save the order (Ctrl+Return)</source>
            <translation>Save the order (Ctrl+Return)</translation>
        </message>
        <message>
            <source>Ca&amp;ncel order…</source>
            <translation>Ca&amp;ncel order…</translation>
        </message>
        <message>
            <source>Close</source>
            <translation>Close</translation>
        </message>
        <message>
            <source>Total: {amount}  ({count} item(s))</source>
            <translation>Total: {amount}  ({count} item(s))</translation>
        </message>
        <message>
            <source>Sales order {no}</source>
            <translation>Sales order {no}</translation>
        </message>
        <message>
            <source>confirmed</source>
            <translation>confirmed</translation>
        </message>
        <message>
            <source>not confirmed</source>
            <translation>not confirmed</translation>
        </message>
        <message>
            <source>Order {no} · {date} · {variety} · {status}, {state}</source>
            <translation>Order {no} · {date} · {variety} · {status}, {state}</translation>
        </message>
        <message>
            <source>created</source>
            <translation>created</translation>
        </message>
        <message>
            <source>changed</source>
            <translation>changed</translation>
        </message>
        <message>
            <source>logistics confirmation</source>
            <translation>logistics confirmation</translation>
        </message>
        <message>
            <source>cancelled</source>
            <translation>cancelled</translation>
        </message>
        <message>
            <source>Add at least one product.</source>
            <translation>Add at least one product.</translation>
        </message>
        <message>
            <source>Logistics confirmation</source>
            <translation>Logistics confirmation</translation>
        </message>
        <message>
            <source>Confirm this order for logistics?</source>
            <translation>Confirm this order for logistics?</translation>
        </message>
        <message>
            <source>Cancel order</source>
            <translation>Cancel order</translation>
        </message>
        <message>
            <source>Why is the order cancelled?</source>
            <translation>Why is the order cancelled?</translation>
        </message>
        <message>
            <source>Give the reason for cancelling.</source>
            <translation>Give the reason for cancelling.</translation>
        </message>
        <message>
            <source>Specification</source>
            <translation>Specification</translation>
        </message>
        <message>
            <source>No product matches “{text}”: pick one from the list.</source>
            <translation>No product matches “{text}”: pick one from the list.</translation>
        </message>
        <message>
            <source>Send to &amp;logistics</source>
            <translation>Send to &amp;logistics</translation>
        </message>
        <message>
            <source>传物流: tell logistics what changed since the order was confirmed (before it is printed)</source>
            <translation>传物流: tell logistics what changed since the order was confirmed (before it is printed)</translation>
        </message>
        <message>
            <source>Receipt</source>
            <translation>Receipt</translation>
        </message>
        <message>
            <source>withdrawn by logistics</source>
            <translation>withdrawn by logistics</translation>
        </message>
        <message>
            <source>voided</source>
            <translation>voided</translation>
        </message>
        <message>
            <source>printed</source>
            <translation>printed</translation>
        </message>
        <message>
            <source>waybill</source>
            <translation>waybill</translation>
        </message>
        <message>
            <source>dispatch feedback</source>
            <translation>dispatch feedback</translation>
        </message>
        <message>
            <source>sent to logistics</source>
            <translation>sent to logistics</translation>
        </message>
        <message>
            <source>receipt</source>
            <translation>receipt</translation>
        </message>
        <message>
            <source>Sent to logistics: {changes}</source>
            <translation>Sent to logistics: {changes}</translation>
        </message>
    </context>
    <context>
        <name>PickCustomerDialog</name>
        <message>
            <source>Choose the customer</source>
            <translation>Choose the customer</translation>
        </message>
        <message>
            <source>{n} customers have this number. Which one is calling?</source>
            <translation>{n} customers have this number. Which one is calling?</translation>
        </message>
        <message>
            <source>&amp;New customer</source>
            <translation>&amp;New customer</translation>
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
        <message>
            <source>Cost</source>
            <translation>Cost</translation>
        </message>
        <message>
            <source>Cost:</source>
            <translation>Cost:</translation>
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
        <name>ProfileForm</name>
        <message>
            <source>&amp;Name</source>
            <translation>&amp;Name</translation>
        </message>
        <message>
            <source>Reg. no.</source>
            <translation>Reg. no.</translation>
        </message>
        <message>
            <source>Mo&amp;bile</source>
            <translation>Mo&amp;bile</translation>
        </message>
        <message>
            <source>Landline</source>
            <translation>Landline</translation>
        </message>
        <message>
            <source>Other phone</source>
            <translation>Other phone</translation>
        </message>
        <message>
            <source>Re&amp;gion</source>
            <translation>Re&amp;gion</translation>
        </message>
        <message>
            <source>Add&amp;ress</source>
            <translation>Add&amp;ress</translation>
        </message>
        <message>
            <source>Class</source>
            <translation>Class</translation>
        </message>
        <message>
            <source>Source</source>
            <translation>Source</translation>
        </message>
        <message>
            <source>Owner</source>
            <translation>Owner</translation>
        </message>
        <message>
            <source>Callback agent</source>
            <translation>Callback agent</translation>
        </message>
        <message>
            <source>End user</source>
            <translation>End user</translation>
        </message>
        <message>
            <source>School</source>
            <translation>School</translation>
        </message>
        <message>
            <source>User account</source>
            <translation>User account</translation>
        </message>
        <message>
            <source>Difficulty</source>
            <translation>Difficulty</translation>
        </message>
        <message>
            <source>Remar&amp;k</source>
            <translation>Remar&amp;k</translation>
        </message>
    </context>
    <context>
        <name>RecordingPlayer</name>
        <message>
            <source>No recording chosen</source>
            <translation>No recording chosen</translation>
        </message>
        <message>
            <source>Fetching the recording…</source>
            <translation>Fetching the recording…</translation>
        </message>
        <message>
            <source>You may not play this recording: only the agent who took the call, or a user with the recordings permission, may.</source>
            <translation>You may not play this recording: only the agent who took the call, or a user with the recordings permission, may.</translation>
        </message>
        <message>
            <source>The recording is not on the server (it may have been purged).</source>
            <translation>The recording is not on the server (it may have been purged).</translation>
        </message>
        <message>
            <source>The recording arrived damaged (checksum mismatch); try again.</source>
            <translation>The recording arrived damaged (checksum mismatch); try again.</translation>
        </message>
        <message>
            <source>CTI link not connected</source>
            <translation>CTI link not connected</translation>
        </message>
        <message>
            <source>The recording could not be fetched: {error}</source>
            <translation>The recording could not be fetched: {error}</translation>
        </message>
        <message>
            <source>The recording cannot be played: {error}</source>
            <translation>The recording cannot be played: {error}</translation>
        </message>
        <message>
            <source>Pause</source>
            <translation>Pause</translation>
        </message>
        <message>
            <source>Play</source>
            <translation>Play</translation>
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
        <name>ReminderDialog</name>
        <message>
            <source>Reminder: {name}</source>
            <translation>Reminder: {name}</translation>
        </message>
        <message>
            <source>&amp;Date and time</source>
            <translation>&amp;Date and time</translation>
        </message>
        <message>
            <source>&amp;Note</source>
            <translation>&amp;Note</translation>
        </message>
        <message>
            <source>&amp;For</source>
            <translation>&amp;For</translation>
        </message>
        <message>
            <source>Only me</source>
            <translation>Only me</translation>
        </message>
        <message>
            <source>My callback group {group}</source>
            <translation>My callback group {group}</translation>
        </message>
    </context>
    <context>
        <name>ReminderListPanel</name>
        <message>
            <source>Customer reminders</source>
            <translation>Customer reminders</translation>
        </message>
        <message>
            <source>Due</source>
            <translation>Due</translation>
        </message>
        <message>
            <source>Done</source>
            <translation>Done</translation>
        </message>
        <message>
            <source>Customer</source>
            <translation>Customer</translation>
        </message>
        <message>
            <source>Phone</source>
            <translation>Phone</translation>
        </message>
        <message>
            <source>Set by</source>
            <translation>Set by</translation>
        </message>
        <message>
            <source>Group</source>
            <translation>Group</translation>
        </message>
        <message>
            <source>Note</source>
            <translation>Note</translation>
        </message>
        <message>
            <source>to</source>
            <translation>to</translation>
        </message>
        <message>
            <source>Include done</source>
            <translation>Include done</translation>
        </message>
        <message>
            <source>Refresh</source>
            <translation>Refresh</translation>
        </message>
        <message>
            <source>Mark done</source>
            <translation>Mark done</translation>
        </message>
        <message>
            <source>Go to c&amp;ustomer</source>
            <translation>Go to c&amp;ustomer</translation>
        </message>
        <message>
            <source>Ne&amp;w reminder</source>
            <translation>Ne&amp;w reminder</translation>
        </message>
        <message>
            <source>{n} reminder(s), {open} open</source>
            <translation>{n} reminder(s), {open} open</translation>
        </message>
        <message>
            <source>Select an open reminder first.</source>
            <translation>Select an open reminder first.</translation>
        </message>
        <message>
            <source>Select a reminder first.</source>
            <translation>Select a reminder first.</translation>
        </message>
    </context>
    <context>
        <name>ReminderNotifier</name>
        <message>
            <source>Reminder {time}: {name} {phone} — {note}</source>
            <translation>Reminder {time}: {name} {phone} — {note}</translation>
        </message>
        <message>
            <source>(no note)</source>
            <translation>(no note)</translation>
        </message>
        <message>
            <source>{n} more reminders are due: see Customer reminders.</source>
            <translation>{n} more reminders are due: see Customer reminders.</translation>
        </message>
        <message>
            <source>Reminder: call {name}. {note}</source>
            <translation>Reminder: call {name}. {note}</translation>
        </message>
    </context>
    <context>
        <name>RemindersTab</name>
        <message>
            <source>Due</source>
            <translation>Due</translation>
        </message>
        <message>
            <source>Done</source>
            <translation>Done</translation>
        </message>
        <message>
            <source>Set by</source>
            <translation>Set by</translation>
        </message>
        <message>
            <source>Note</source>
            <translation>Note</translation>
        </message>
        <message>
            <source>New reminder</source>
            <translation>New reminder</translation>
        </message>
        <message>
            <source>Mar&amp;k done</source>
            <translation>Mar&amp;k done</translation>
        </message>
        <message>
            <source>Select an open reminder first.</source>
            <translation>Select an open reminder first.</translation>
        </message>
    </context>
    <context>
        <name>SalesDirectoryPanel</name>
        <message>
            <source>Sales directory</source>
            <translation>Sales directory</translation>
        </message>
        <message>
            <source>Order no.</source>
            <translation>Order no.</translation>
        </message>
        <message>
            <source>Date</source>
            <translation>Date</translation>
        </message>
        <message>
            <source>Customer</source>
            <translation>Customer</translation>
        </message>
        <message>
            <source>Reg. no.</source>
            <translation>Reg. no.</translation>
        </message>
        <message>
            <source>Phone</source>
            <translation>Phone</translation>
        </message>
        <message>
            <source>Region</source>
            <translation>Region</translation>
        </message>
        <message>
            <source>Del.</source>
            <translation>Del.</translation>
        </message>
        <message>
            <source>Amount</source>
            <translation>Amount</translation>
        </message>
        <message>
            <source>Status</source>
            <translation>Status</translation>
        </message>
        <message>
            <source>Fb.</source>
            <translation>Fb.</translation>
        </message>
        <message>
            <source>Rcpt.</source>
            <translation>Rcpt.</translation>
        </message>
        <message>
            <source>Class</source>
            <translation>Class</translation>
        </message>
        <message>
            <source>Staff</source>
            <translation>Staff</translation>
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
            <source>Waybill no.</source>
            <translation>Waybill no.</translation>
        </message>
        <message>
            <source>Trial</source>
            <translation>Trial</translation>
        </message>
        <message>
            <source>Remark</source>
            <translation>Remark</translation>
        </message>
        <message>
            <source>Sales date</source>
            <translation>Sales date</translation>
        </message>
        <message>
            <source>to</source>
            <translation>to</translation>
        </message>
        <message>
            <source>Confirmed</source>
            <translation>Confirmed</translation>
        </message>
        <message>
            <source>Not confirmed</source>
            <translation>Not confirmed</translation>
        </message>
        <message>
            <source>Confirmed or not</source>
            <translation>Confirmed or not</translation>
        </message>
        <message>
            <source>Any status</source>
            <translation>Any status</translation>
        </message>
        <message>
            <source>Any delivery</source>
            <translation>Any delivery</translation>
        </message>
        <message>
            <source>(no text criterion)</source>
            <translation>(no text criterion)</translation>
        </message>
        <message>
            <source>Search text</source>
            <translation>Search text</translation>
        </message>
        <message>
            <source>Search</source>
            <translation>Search</translation>
        </message>
        <message>
            <source>Any medium</source>
            <translation>Any medium</translation>
        </message>
        <message>
            <source>Any variety</source>
            <translation>Any variety</translation>
        </message>
        <message>
            <source>Any region</source>
            <translation>Any region</translation>
        </message>
        <message>
            <source>Choose which field the text is searched in.</source>
            <translation>Choose which field the text is searched in.</translation>
        </message>
        <message>
            <source>, more below</source>
            <translation>, more below</translation>
        </message>
        <message numerus="yes">
            <source>%n order(s)</source>
            <translation>
                <numerusform>%n order</numerusform>
                <numerusform>%n orders</numerusform>
            </translation>
        </message>
        <message>
            <source>, amount {amount}</source>
            <translation>, amount {amount}</translation>
        </message>
    </context>
    <context>
        <name>SalesFeature</name>
        <message>
            <source>&amp;New customer</source>
            <translation>&amp;New customer</translation>
        </message>
        <message>
            <source>Customer &amp;directory</source>
            <translation>Customer &amp;directory</translation>
        </message>
        <message>
            <source>Customer &amp;query…</source>
            <translation>Customer &amp;query…</translation>
        </message>
        <message>
            <source>&amp;Sales directory</source>
            <translation>&amp;Sales directory</translation>
        </message>
        <message>
            <source>Customer &amp;reminders</source>
            <translation>Customer &amp;reminders</translation>
        </message>
        <message>
            <source>Customer &amp;maintenance</source>
            <translation>Customer &amp;maintenance</translation>
        </message>
        <message>
            <source>Open a customer first.</source>
            <translation>Open a customer first.</translation>
        </message>
        <message>
            <source>CTI link not connected</source>
            <translation>CTI link not connected</translation>
        </message>
        <message>
            <source>Dialling {number}…</source>
            <translation>Dialling {number}…</translation>
        </message>
    </context>
    <context>
        <name>SalesLabels</name>
        <message>
            <source>A EMS (Xianguo)</source>
            <translation>A EMS (Xianguo)</translation>
        </message>
        <message>
            <source>B Local delivery</source>
            <translation>B Local delivery</translation>
        </message>
        <message>
            <source>C Post</source>
            <translation>C Post</translation>
        </message>
        <message>
            <source>D Other</source>
            <translation>D Other</translation>
        </message>
        <message>
            <source>Cash on delivery</source>
            <translation>Cash on delivery</translation>
        </message>
        <message>
            <source>Prepaid</source>
            <translation>Prepaid</translation>
        </message>
        <message>
            <source>Direct sale</source>
            <translation>Direct sale</translation>
        </message>
        <message>
            <source>Bundled</source>
            <translation>Bundled</translation>
        </message>
        <message>
            <source>Gift</source>
            <translation>Gift</translation>
        </message>
        <message>
            <source>Not sent</source>
            <translation>Not sent</translation>
        </message>
        <message>
            <source>In transit</source>
            <translation>In transit</translation>
        </message>
        <message>
            <source>Accepted</source>
            <translation>Accepted</translation>
        </message>
        <message>
            <source>Voided</source>
            <translation>Voided</translation>
        </message>
        <message>
            <source>Cancelled</source>
            <translation>Cancelled</translation>
        </message>
        <message>
            <source>No</source>
            <translation>No</translation>
        </message>
        <message>
            <source>Acc.</source>
            <translation>Acc.</translation>
        </message>
        <message>
            <source>Not yet</source>
            <translation>Not yet</translation>
        </message>
        <message>
            <source>Recv.</source>
            <translation>Recv.</translation>
        </message>
        <message>
            <source>Refused</source>
            <translation>Refused</translation>
        </message>
        <message>
            <source>A VIP</source>
            <translation>A VIP</translation>
        </message>
        <message>
            <source>B Key</source>
            <translation>B Key</translation>
        </message>
        <message>
            <source>C Ordinary</source>
            <translation>C Ordinary</translation>
        </message>
        <message>
            <source>D Dead</source>
            <translation>D Dead</translation>
        </message>
        <message>
            <source>Callback</source>
            <translation>Callback</translation>
        </message>
        <message>
            <source>Transferred</source>
            <translation>Transferred</translation>
        </message>
        <message>
            <source>Easy to talk to</source>
            <translation>Easy to talk to</translation>
        </message>
        <message>
            <source>Hard to talk to</source>
            <translation>Hard to talk to</translation>
        </message>
        <message>
            <source>Refuses calls</source>
            <translation>Refuses calls</translation>
        </message>
        <message>
            <source>Incoming call</source>
            <translation>Incoming call</translation>
        </message>
        <message>
            <source>Outgoing call</source>
            <translation>Outgoing call</translation>
        </message>
        <message>
            <source>SMS</source>
            <translation>SMS</translation>
        </message>
        <message>
            <source>Visit</source>
            <translation>Visit</translation>
        </message>
        <message>
            <source>Consultation</source>
            <translation>Consultation</translation>
        </message>
        <message>
            <source>Order</source>
            <translation>Order</translation>
        </message>
        <message>
            <source>A · Name (or initials)</source>
            <translation>A · Name (or initials)</translation>
        </message>
        <message>
            <source>A · Registration no.</source>
            <translation>A · Registration no.</translation>
        </message>
        <message>
            <source>A · Phone</source>
            <translation>A · Phone</translation>
        </message>
        <message>
            <source>B · User account</source>
            <translation>B · User account</translation>
        </message>
        <message>
            <source>B · Name or phone, whole</source>
            <translation>B · Name or phone, whole</translation>
        </message>
        <message>
            <source>C · Address</source>
            <translation>C · Address</translation>
        </message>
        <message>
            <source>C · End user's name</source>
            <translation>C · End user's name</translation>
        </message>
        <message>
            <source>C · End user's school</source>
            <translation>C · End user's school</translation>
        </message>
        <message>
            <source>C · Remark</source>
            <translation>C · Remark</translation>
        </message>
        <message>
            <source>Order no. (beginning)</source>
            <translation>Order no. (beginning)</translation>
        </message>
        <message>
            <source>Registration no. (beginning)</source>
            <translation>Registration no. (beginning)</translation>
        </message>
        <message>
            <source>Waybill no.</source>
            <translation>Waybill no.</translation>
        </message>
        <message>
            <source>Customer name</source>
            <translation>Customer name</translation>
        </message>
        <message>
            <source>Phone</source>
            <translation>Phone</translation>
        </message>
        <message>
            <source>Remark contains</source>
            <translation>Remark contains</translation>
        </message>
    </context>
    <context>
        <name>SalesTab</name>
        <message>
            <source>Order no.</source>
            <translation>Order no.</translation>
        </message>
        <message>
            <source>Date</source>
            <translation>Date</translation>
        </message>
        <message>
            <source>Variety</source>
            <translation>Variety</translation>
        </message>
        <message>
            <source>Amount</source>
            <translation>Amount</translation>
        </message>
        <message>
            <source>Status</source>
            <translation>Status</translation>
        </message>
        <message>
            <source>Fb.</source>
            <translation>Fb.</translation>
        </message>
        <message>
            <source>Rcpt.</source>
            <translation>Rcpt.</translation>
        </message>
        <message>
            <source>Del.</source>
            <translation>Del.</translation>
        </message>
        <message>
            <source>Staff</source>
            <translation>Staff</translation>
        </message>
    </context>
    <context>
        <name>ScreenPop</name>
        <message>
            <source>Outbound call {number}</source>
            <translation>Outbound call {number}</translation>
        </message>
        <message>
            <source>Call {caller} → {dialed}</source>
            <translation>Call {caller} → {dialed}</translation>
        </message>
        <message>
            <source>group {group}</source>
            <translation>group {group}</translation>
        </message>
        <message>
            <source>The screen-pop failed (a program error); see the log.</source>
            <translation>The screen-pop failed (a program error); see the log.</translation>
        </message>
    </context>
    <context>
        <name>Shell</name>
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
    </context>
    <context>
        <name>SupervisorPanel</name>
        <message>
            <source>Monitoring</source>
            <translation>Monitoring</translation>
        </message>
        <message>
            <source>User</source>
            <translation>User</translation>
        </message>
        <message>
            <source>Name</source>
            <translation>Name</translation>
        </message>
        <message>
            <source>Seat</source>
            <translation>Seat</translation>
        </message>
        <message>
            <source>State</source>
            <translation>State</translation>
        </message>
        <message>
            <source>Reason</source>
            <translation>Reason</translation>
        </message>
        <message>
            <source>Since</source>
            <translation>Since</translation>
        </message>
        <message>
            <source>Groups</source>
            <translation>Groups</translation>
        </message>
        <message>
            <source>Group</source>
            <translation>Group</translation>
        </message>
        <message>
            <source>Waiting</source>
            <translation>Waiting</translation>
        </message>
        <message>
            <source>Longest wait</source>
            <translation>Longest wait</translation>
        </message>
        <message>
            <source>Ready</source>
            <translation>Ready</translation>
        </message>
        <message>
            <source>Busy</source>
            <translation>Busy</translation>
        </message>
        <message>
            <source>Talking</source>
            <translation>Talking</translation>
        </message>
        <message>
            <source>A message for every logged-in agent</source>
            <translation>A message for every logged-in agent</translation>
        </message>
        <message>
            <source>Broadcast</source>
            <translation>Broadcast</translation>
        </message>
        <message>
            <source>Broadcast sent.</source>
            <translation>Broadcast sent.</translation>
        </message>
        <message>
            <source>Offered</source>
            <translation>Offered</translation>
        </message>
        <message>
            <source>Answered</source>
            <translation>Answered</translation>
        </message>
        <message>
            <source>Abandoned</source>
            <translation>Abandoned</translation>
        </message>
        <message>
            <source>Short abandons</source>
            <translation>Short abandons</translation>
        </message>
        <message>
            <source>Service level</source>
            <translation>Service level</translation>
        </message>
        <message>
            <source>Abandon rate</source>
            <translation>Abandon rate</translation>
        </message>
        <message>
            <source>ASA</source>
            <translation>ASA</translation>
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
        <name>TableReport</name>
        <message>
            <source>The printer could not be opened.</source>
            <translation>The printer could not be opened.</translation>
        </message>
        <message>
            <source>Page {page} of {pages}</source>
            <translation>Page {page} of {pages}</translation>
        </message>
        <message>
            <source>Print preview: {title}</source>
            <translation>Print preview: {title}</translation>
        </message>
    </context>
    <context>
        <name>TodayCalls</name>
        <message>
            <source>Direction</source>
            <translation>Direction</translation>
        </message>
        <message>
            <source>Time</source>
            <translation>Time</translation>
        </message>
        <message>
            <source>Number</source>
            <translation>Number</translation>
        </message>
        <message>
            <source>Customer</source>
            <translation>Customer</translation>
        </message>
        <message>
            <source>Duration</source>
            <translation>Duration</translation>
        </message>
        <message>
            <source>Result</source>
            <translation>Result</translation>
        </message>
        <message>
            <source>Today's calls</source>
            <translation>Today's calls</translation>
        </message>
    </context>
    <context>
        <name>TransferPopup</name>
        <message>
            <source>Transfer the call to</source>
            <translation>Transfer the call to</translation>
        </message>
        <message>
            <source>Group</source>
            <translation>Group</translation>
        </message>
        <message>
            <source>Agent</source>
            <translation>Agent</translation>
        </message>
        <message>
            <source>Number</source>
            <translation>Number</translation>
        </message>
        <message>
            <source>Group number, agent login or phone number</source>
            <translation>Group number, agent login or phone number</translation>
        </message>
        <message>
            <source>Transfer</source>
            <translation>Transfer</translation>
        </message>
        <message>
            <source>Enter where the call should go.</source>
            <translation>Enter where the call should go.</translation>
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
        <message>
            <source>The database server(s) and the database, without an account: each employee logs in with their own database account and password.</source>
            <translation>The database server(s) and the database, without an account: each employee logs in with their own database account and password.</translation>
        </message>
        <message>
            <source>CTI without TLS (plaintext):</source>
            <translation>CTI without TLS (plaintext):</translation>
        </message>
        <message>
            <source>CTI server certificate file:</source>
            <translation>CTI server certificate file:</translation>
        </message>
        <message>
            <source>Trusted CTI certificate:</source>
            <translation>Trusted CTI certificate:</translation>
        </message>
        <message>
            <source>empty: trust the first certificate seen</source>
            <translation>empty: trust the first certificate seen</translation>
        </message>
        <message>
            <source>Forget</source>
            <translation>Forget</translation>
        </message>
        <message>
            <source>none yet (remembered at the first connection)</source>
            <translation>none yet (remembered at the first connection)</translation>
        </message>
    </context>
    <context>
        <name>call</name>
        <message>
            <source>The built-in CTI server is not running.</source>
            <translation>The built-in CTI server is not running.</translation>
        </message>
        <message>
            <source>Demo: you are ready for calls. A demo customer calls every 45 s, or use "Place a demo call".</source>
            <translation>Demo: you are ready for calls. A demo customer calls every 45 s, or use "Place a demo call".</translation>
        </message>
        <message>
            <source>Message from {sender}: {text}</source>
            <translation>Message from {sender}: {text}</translation>
        </message>
        <message>
            <source>Disconnected</source>
            <translation>Disconnected</translation>
        </message>
        <message>
            <source>Connecting…</source>
            <translation>Connecting…</translation>
        </message>
        <message>
            <source>Connected</source>
            <translation>Connected</translation>
        </message>
        <message>
            <source>Logged out</source>
            <translation>Logged out</translation>
        </message>
        <message>
            <source>Ready</source>
            <translation>Ready</translation>
        </message>
        <message>
            <source>Busy</source>
            <translation>Busy</translation>
        </message>
        <message>
            <source>Ringing</source>
            <translation>Ringing</translation>
        </message>
        <message>
            <source>Talking</source>
            <translation>Talking</translation>
        </message>
        <message>
            <source>Wrap-up</source>
            <translation>Wrap-up</translation>
        </message>
        <message>
            <source>Queued</source>
            <translation>Queued</translation>
        </message>
        <message>
            <source>On hold</source>
            <translation>On hold</translation>
        </message>
        <message>
            <source>Ended</source>
            <translation>Ended</translation>
        </message>
        <message>
            <source>Connect</source>
            <translation>Connect</translation>
        </message>
        <message>
            <source>Disconnect</source>
            <translation>Disconnect</translation>
        </message>
        <message>
            <source>Answer</source>
            <translation>Answer</translation>
        </message>
        <message>
            <source>Hang up</source>
            <translation>Hang up</translation>
        </message>
        <message>
            <source>Hold</source>
            <translation>Hold</translation>
        </message>
        <message>
            <source>Resume</source>
            <translation>Resume</translation>
        </message>
        <message>
            <source>Transfer</source>
            <translation>Transfer</translation>
        </message>
        <message>
            <source>Dial</source>
            <translation>Dial</translation>
        </message>
        <message>
            <source>Monitoring</source>
            <translation>Monitoring</translation>
        </message>
        <message>
            <source>Broadcast</source>
            <translation>Broadcast</translation>
        </message>
        <message>
            <source>Screen pop</source>
            <translation>Screen pop</translation>
        </message>
        <message>
            <source>Break</source>
            <translation>Break</translation>
        </message>
        <message>
            <source>Training</source>
            <translation>Training</translation>
        </message>
        <message>
            <source>Meeting</source>
            <translation>Meeting</translation>
        </message>
        <message>
            <source>Other</source>
            <translation>Other</translation>
        </message>
        <message>
            <source>Inbound</source>
            <translation>Inbound</translation>
        </message>
        <message>
            <source>Outbound</source>
            <translation>Outbound</translation>
        </message>
        <message>
            <source>Answered</source>
            <translation>Answered</translation>
        </message>
        <message>
            <source>Abandoned</source>
            <translation>Abandoned</translation>
        </message>
        <message>
            <source>No answer</source>
            <translation>No answer</translation>
        </message>
        <message>
            <source>Line busy</source>
            <translation>Line busy</translation>
        </message>
        <message>
            <source>Unreachable</source>
            <translation>Unreachable</translation>
        </message>
        <message>
            <source>Rejected</source>
            <translation>Rejected</translation>
        </message>
        <message>
            <source>Vacant number</source>
            <translation>Vacant number</translation>
        </message>
        <message>
            <source>Powered off</source>
            <translation>Powered off</translation>
        </message>
        <message>
            <source>Transferred</source>
            <translation>Transferred</translation>
        </message>
        <message>
            <source>CTI server stopped</source>
            <translation>CTI server stopped</translation>
        </message>
        <message>
            <source>Call &amp;console</source>
            <translation>Call &amp;console</translation>
        </message>
        <message>
            <source>Call &amp;query</source>
            <translation>Call &amp;query</translation>
        </message>
        <message>
            <source>&amp;Missed calls</source>
            <translation>&amp;Missed calls</translation>
        </message>
        <message>
            <source>&amp;Internal numbers</source>
            <translation>&amp;Internal numbers</translation>
        </message>
        <message>
            <source>&amp;Monitoring</source>
            <translation>&amp;Monitoring</translation>
        </message>
        <message>
            <source>Place a demo call</source>
            <translation>Place a demo call</translation>
        </message>
        <message>
            <source>Ask the built-in CTI server for a call from a demo customer</source>
            <translation>Ask the built-in CTI server for a call from a demo customer</translation>
        </message>
        <message>
            <source>Unanswered</source>
            <translation>Unanswered</translation>
        </message>
        <message>
            <source>Taken by another agent</source>
            <translation>Taken by another agent</translation>
        </message>
        <message>
            <source>CTI server's certificate trusted at this first connection and remembered: SHA-256 {fingerprint}. Compare it with the one agent-ctid logs.</source>
            <translation>CTI server's certificate trusted at this first connection and remembered: SHA-256 {fingerprint}. Compare it with the one agent-ctid logs.</translation>
        </message>
        <message>
            <source>wrong user or password</source>
            <translation>wrong user or password</translation>
        </message>
        <message>
            <source>the account is locked after repeated failed logins; try again later</source>
            <translation>the account is locked after repeated failed logins; try again later</translation>
        </message>
        <message>
            <source>change your password first (System → Change password), then connect again</source>
            <translation>change your password first (System → Change password), then connect again</translation>
        </message>
        <message>
            <source>too many failed logins from this workstation; try again in a few minutes</source>
            <translation>too many failed logins from this workstation; try again in a few minutes</translation>
        </message>
        <message>
            <source>the CTI server is busy; connecting again shortly</source>
            <translation>the CTI server is busy; connecting again shortly</translation>
        </message>
        <message>
            <source>the CTI server closed the link: no login in time</source>
            <translation>the CTI server closed the link: no login in time</translation>
        </message>
    </context>
    <context>
        <name>calls</name>
        <message>
            <source>Time</source>
            <translation>Time</translation>
        </message>
        <message>
            <source>Direction</source>
            <translation>Direction</translation>
        </message>
        <message>
            <source>Caller</source>
            <translation>Caller</translation>
        </message>
        <message>
            <source>Dialled number</source>
            <translation>Dialled number</translation>
        </message>
        <message>
            <source>Seat</source>
            <translation>Seat</translation>
        </message>
        <message>
            <source>Agent</source>
            <translation>Agent</translation>
        </message>
        <message>
            <source>Group</source>
            <translation>Group</translation>
        </message>
        <message>
            <source>Wait (s)</source>
            <translation>Wait (s)</translation>
        </message>
        <message>
            <source>Talk (s)</source>
            <translation>Talk (s)</translation>
        </message>
        <message>
            <source>End cause</source>
            <translation>End cause</translation>
        </message>
        <message>
            <source>Medium</source>
            <translation>Medium</translation>
        </message>
        <message>
            <source>Customer</source>
            <translation>Customer</translation>
        </message>
        <message>
            <source>Region</source>
            <translation>Region</translation>
        </message>
        <message>
            <source>Call ID</source>
            <translation>Call ID</translation>
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
        <message>
            <source>There is no employee {login}.</source>
            <translation>There is no employee {login}.</translation>
        </message>
        <message>
            <source>A phone number is 3 to 32 digits.</source>
            <translation>A phone number is 3 to 32 digits.</translation>
        </message>
        <message>
            <source>This text is too long: at most {limit} characters.</source>
            <translation>This text is too long: at most {limit} characters.</translation>
        </message>
        <message>
            <source>The time must carry a time zone.</source>
            <translation>The time must carry a time zone.</translation>
        </message>
        <message>
            <source>Choose how the customer was contacted.</source>
            <translation>Choose how the customer was contacted.</translation>
        </message>
        <message>
            <source>Choose the demand type: consultation or order.</source>
            <translation>Choose the demand type: consultation or order.</translation>
        </message>
        <message>
            <source>That product variety no longer exists; choose another.</source>
            <translation>That product variety no longer exists; choose another.</translation>
        </message>
        <message>
            <source>A contact cannot be moved to another customer.</source>
            <translation>A contact cannot be moved to another customer.</translation>
        </message>
        <message>
            <source>Write the customer's opinion or suggestion first.</source>
            <translation>Write the customer's opinion or suggestion first.</translation>
        </message>
        <message>
            <source>Enter a number of days of 0 or more.</source>
            <translation>Enter a number of days of 0 or more.</translation>
        </message>
        <message>
            <source>The end date is before the start date.</source>
            <translation>The end date is before the start date.</translation>
        </message>
        <message>
            <source>Choose sale or consult.</source>
            <translation>Choose sale or consult.</translation>
        </message>
        <message>
            <source>Choose a customer class from the list.</source>
            <translation>Choose a customer class from the list.</translation>
        </message>
        <message>
            <source>Choose a source from the list.</source>
            <translation>Choose a source from the list.</translation>
        </message>
        <message>
            <source>Choose the field to search in.</source>
            <translation>Choose the field to search in.</translation>
        </message>
        <message>
            <source>Unknown search field {name}.</source>
            <translation>Unknown search field {name}.</translation>
        </message>
        <message>
            <source>Enter the text to search for.</source>
            <translation>Enter the text to search for.</translation>
        </message>
        <message>
            <source>Enter the digits of a phone number.</source>
            <translation>Enter the digits of a phone number.</translation>
        </message>
        <message>
            <source>The page position is not valid; search again.</source>
            <translation>The page position is not valid; search again.</translation>
        </message>
        <message>
            <source>Enter a page size from 1 to {n}.</source>
            <translation>Enter a page size from 1 to {n}.</translation>
        </message>
        <message>
            <source>Select at least one row first.</source>
            <translation>Select at least one row first.</translation>
        </message>
        <message>
            <source>{name} ({login}) is a closed account; choose an active employee.</source>
            <translation>{name} ({login}) is a closed account; choose an active employee.</translation>
        </message>
        <message>
            <source>Order {order_no} is confirmed by logistics and not cancelled, so it cannot be removed. Nothing was removed.</source>
            <translation>Order {order_no} is confirmed by logistics and not cancelled, so it cannot be removed. Nothing was removed.</translation>
        </message>
        <message>
            <source>{value} is not an amount of money.</source>
            <translation>{value} is not an amount of money.</translation>
        </message>
        <message>
            <source>A price must be between 0 and 9,999,999.99.</source>
            <translation>A price must be between 0 and 9,999,999.99.</translation>
        </message>
        <message>
            <source>Add at least one product to the order.</source>
            <translation>Add at least one product to the order.</translation>
        </message>
        <message>
            <source>An order has at most {n} lines.</source>
            <translation>An order has at most {n} lines.</translation>
        </message>
        <message>
            <source>The quantity must be a whole number from 1 to {max}.</source>
            <translation>The quantity must be a whole number from 1 to {max}.</translation>
        </message>
        <message>
            <source>The text is too long.</source>
            <translation>The text is too long.</translation>
        </message>
        <message>
            <source>The customer of an order cannot change.</source>
            <translation>The customer of an order cannot change.</translation>
        </message>
        <message>
            <source>Order {order_no} is cancelled or voided and cannot change.</source>
            <translation>Order {order_no} is cancelled or voided and cannot change.</translation>
        </message>
        <message>
            <source>Order {order_no} is confirmed for logistics: only its medium can change. Ask logistics to withdraw it (错单撤销) first.</source>
            <translation>Order {order_no} is confirmed for logistics: only its medium can change. Ask logistics to withdraw it (错单撤销) first.</translation>
        </message>
        <message>
            <source>Order {order_no} is already confirmed for logistics.</source>
            <translation>Order {order_no} is already confirmed for logistics.</translation>
        </message>
        <message>
            <source>Give the reason for cancelling.</source>
            <translation>Give the reason for cancelling.</translation>
        </message>
        <message>
            <source>Order {order_no} has been dispatched or closed; it can no longer be cancelled.</source>
            <translation>Order {order_no} has been dispatched or closed; it can no longer be cancelled.</translation>
        </message>
        <message>
            <source>Give the sales date range.</source>
            <translation>Give the sales date range.</translation>
        </message>
        <message>
            <source>Choose what to search in.</source>
            <translation>Choose what to search in.</translation>
        </message>
        <message>
            <source>Type what to search for.</source>
            <translation>Type what to search for.</translation>
        </message>
        <message>
            <source>The medium no longer exists; pick another.</source>
            <translation>The medium no longer exists; pick another.</translation>
        </message>
        <message>
            <source>Line {line}: the product is not on sale.</source>
            <translation>Line {line}: the product is not on sale.</translation>
        </message>
        <message>
            <source>Give the reminder's date and time.</source>
            <translation>Give the reminder's date and time.</translation>
        </message>
        <message>
            <source>Choose the group that may take this reminder.</source>
            <translation>Choose the group that may take this reminder.</translation>
        </message>
        <message>
            <source>{who} already marked this reminder as called back at {when}.</source>
            <translation>{who} already marked this reminder as called back at {when}.</translation>
        </message>
        <message>
            <source>This reminder was cancelled by customer maintenance.</source>
            <translation>This reminder was cancelled by customer maintenance.</translation>
        </message>
        <message>
            <source>The period ends before it starts.</source>
            <translation>The period ends before it starts.</translation>
        </message>
        <message>
            <source>The database is busy with other users' changes to the same records. Nothing was saved; please try again.</source>
            <translation>The database is busy with other users' changes to the same records. Nothing was saved; please try again.</translation>
        </message>
        <message>
            <source>Too many wrong passwords: this account is blocked. Ask a super administrator to unlock it.</source>
            <translation>Too many wrong passwords: this account is blocked. Ask a super administrator to unlock it.</translation>
        </message>
        <message>
            <source>Type the whole number, or leave the masked number as it was.</source>
            <translation>Type the whole number, or leave the masked number as it was.</translation>
        </message>
        <message>
            <source>This customer has no phone number.</source>
            <translation>This customer has no phone number.</translation>
        </message>
        <message>
            <source>You can share a reminder only with a group you work in.</source>
            <translation>You can share a reminder only with a group you work in.</translation>
        </message>
        <message>
            <source>This text contains a NUL character, which cannot be stored. Remove it (it usually comes from a paste).</source>
            <translation>This text contains a NUL character, which cannot be stored. Remove it (it usually comes from a paste).</translation>
        </message>
        <message>
            <source>This text contains a broken character (half of a character pair). Type the text again.</source>
            <translation>This text contains a broken character (half of a character pair). Type the text again.</translation>
        </message>
        <message>
            <source>This text contains a control character (code {code}), which cannot be stored. Remove it.</source>
            <translation>This text contains a control character (code {code}), which cannot be stored. Remove it.</translation>
        </message>
        <message>
            <source>There is no such report.</source>
            <translation>There is no such report.</translation>
        </message>
        <message>
            <source>A report covers at most three years.</source>
            <translation>A report covers at most three years.</translation>
        </message>
        <message>
            <source>Choose one of the listed values.</source>
            <translation>Choose one of the listed values.</translation>
        </message>
        <message>
            <source>This report has no group filter.</source>
            <translation>This report has no group filter.</translation>
        </message>
        <message>
            <source>Interval reports cover at most 31 days.</source>
            <translation>Interval reports cover at most 31 days.</translation>
        </message>
        <message>
            <source>Enter a cost like 1280 or 1280.50.</source>
            <translation>Enter a cost like 1280 or 1280.50.</translation>
        </message>
        <message>
            <source>The cost must be zero or more.</source>
            <translation>The cost must be zero or more.</translation>
        </message>
        <message>
            <source>The report took longer than {seconds} seconds and was stopped. Choose a shorter period or one group, then run it again.</source>
            <translation>The report took longer than {seconds} seconds and was stopped. Choose a shorter period or one group, then run it again.</translation>
        </message>
        <message>
            <source>An Excel sheet holds at most {rows} rows, and this export has more. Nothing was saved: choose a shorter period or narrower filters.</source>
            <translation>An Excel sheet holds at most {rows} rows, and this export has more. Nothing was saved: choose a shorter period or narrower filters.</translation>
        </message>
        <message>
            <source>Order {order_no} was already fed back by {who} at {when}.</source>
            <translation>Order {order_no} was already fed back by {who} at {when}.</translation>
        </message>
        <message>
            <source>Order {order_no} is {status} and can no longer change.</source>
            <translation>Order {order_no} is {status} and can no longer change.</translation>
        </message>
        <message>
            <source>Order {order_no} is not confirmed for logistics (物流确认) yet.</source>
            <translation>Order {order_no} is not confirmed for logistics (物流确认) yet.</translation>
        </message>
        <message>
            <source>Order {order_no} has been printed: void it (作废) instead.</source>
            <translation>Order {order_no} has been printed: void it (作废) instead.</translation>
        </message>
        <message>
            <source>Order {order_no} has not been printed: withdraw it (撤单) instead.</source>
            <translation>Order {order_no} has not been printed: withdraw it (撤单) instead.</translation>
        </message>
        <message>
            <source>Order {order_no} is not a withdrawn order (撤销单).</source>
            <translation>Order {order_no} is not a withdrawn order (撤销单).</translation>
        </message>
        <message>
            <source>Order {order_no} is cancelled.</source>
            <translation>Order {order_no} is cancelled.</translation>
        </message>
        <message>
            <source>Order {order_no} has no change since it was confirmed: nothing to send.</source>
            <translation>Order {order_no} has no change since it was confirmed: nothing to send.</translation>
        </message>
        <message>
            <source>cancelled</source>
            <translation>cancelled</translation>
        </message>
        <message>
            <source>voided</source>
            <translation>voided</translation>
        </message>
        <message>
            <source>Give the reason.</source>
            <translation>Give the reason.</translation>
        </message>
        <message>
            <source>A delivery fee must be between 0 and 99,999.99.</source>
            <translation>A delivery fee must be between 0 and 99,999.99.</translation>
        </message>
        <message>
            <source>Scan or type the order number or waybill.</source>
            <translation>Scan or type the order number or waybill.</translation>
        </message>
        <message>
            <source>The batch is empty: scan a parcel first.</source>
            <translation>The batch is empty: scan a parcel first.</translation>
        </message>
        <message>
            <source>At most {n} parcels in one batch.</source>
            <translation>At most {n} parcels in one batch.</translation>
        </message>
        <message>
            <source>Order {order_no} is in the batch twice.</source>
            <translation>Order {order_no} is in the batch twice.</translation>
        </message>
        <message>
            <source>The courier of order {order_no} is not in 物流部.</source>
            <translation>The courier of order {order_no} is not in 物流部.</translation>
        </message>
        <message>
            <source>Give both dates of the period.</source>
            <translation>Give both dates of the period.</translation>
        </message>
        <message>
            <source>No order has the number or waybill {ref}.</source>
            <translation>No order has the number or waybill {ref}.</translation>
        </message>
        <message>
            <source>Cannot read {file}: {detail}</source>
            <translation>Cannot read {file}: {detail}</translation>
        </message>
        <message>
            <source>{file}: a courier's sheet is .xlsx, .xls or .csv.</source>
            <translation>{file}: a courier's sheet is .xlsx, .xls or .csv.</translation>
        </message>
        <message>
            <source>The file is neither UTF-8 nor GBK text.</source>
            <translation>The file is neither UTF-8 nor GBK text.</translation>
        </message>
        <message>
            <source>{file} is not a readable Excel sheet.</source>
            <translation>{file} is not a readable Excel sheet.</translation>
        </message>
        <message>
            <source>not an amount</source>
            <translation>not an amount</translation>
        </message>
        <message>
            <source>not a date</source>
            <translation>not a date</translation>
        </message>
        <message>
            <source>a number with decimals</source>
            <translation>a number with decimals</translation>
        </message>
        <message>
            <source>in scientific notation, its digits are lost: format the column as text</source>
            <translation>in scientific notation, its digits are lost: format the column as text</translation>
        </message>
        <message>
            <source>longer than 32 characters</source>
            <translation>longer than 32 characters</translation>
        </message>
        <message>
            <source>already recorded</source>
            <translation>already recorded</translation>
        </message>
        <message>
            <source>remitted already by an earlier sheet</source>
            <translation>remitted already by an earlier sheet</translation>
        </message>
        <message>
            <source>a remittance for a returned parcel</source>
            <translation>a remittance for a returned parcel</translation>
        </message>
        <message>
            <source>the parcel is not delivered</source>
            <translation>the parcel is not delivered</translation>
        </message>
        <message>
            <source>remitted {amount}, the order's COD amount is {expected}</source>
            <translation>remitted {amount}, the order's COD amount is {expected}</translation>
        </message>
        <message>
            <source>Name the courier (at most 32 characters).</source>
            <translation>Name the courier (at most 32 characters).</translation>
        </message>
        <message>
            <source>The sheet has more than {n} rows; split it.</source>
            <translation>The sheet has more than {n} rows; split it.</translation>
        </message>
        <message>
            <source>The sheet has no column for: {fields} (its header: {header}).</source>
            <translation>The sheet has no column for: {fields} (its header: {header}).</translation>
        </message>
        <message>
            <source>No header row with a waybill or order number column in the first {n} rows.</source>
            <translation>No header row with a waybill or order number column in the first {n} rows.</translation>
        </message>
        <message>
            <source>empty row</source>
            <translation>empty row</translation>
        </message>
        <message>
            <source>the number is {problem}</source>
            <translation>the number is {problem}</translation>
        </message>
        <message>
            <source>no waybill or order number</source>
            <translation>no waybill or order number</translation>
        </message>
        <message>
            <source>a duplicate of row {line}</source>
            <translation>a duplicate of row {line}</translation>
        </message>
        <message>
            <source>a value is {problem}</source>
            <translation>a value is {problem}</translation>
        </message>
        <message>
            <source>state {state} is not final</source>
            <translation>state {state} is not final</translation>
        </message>
        <message>
            <source>no order has this number</source>
            <translation>no order has this number</translation>
        </message>
        <message>
            <source>A waybill is letters and digits, without spaces.</source>
            <translation>A waybill is letters and digits, without spaces.</translation>
        </message>
        <message>
            <source>Waybill {waybill} is on order {order_no} already.</source>
            <translation>Waybill {waybill} is on order {order_no} already.</translation>
        </message>
        <message>
            <source>{number} cannot be printed as a barcode.</source>
            <translation>{number} cannot be printed as a barcode.</translation>
        </message>
        <message>
            <source>The order has no address.</source>
            <translation>The order has no address.</translation>
        </message>
        <message>
            <source>This period has {n} orders, more than the {limit} one list holds. Choose a shorter period (a month at a time), then run it again.</source>
            <translation>This period has {n} orders, more than the {limit} one list holds. Choose a shorter period (a month at a time), then run it again.</translation>
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
        <message>
            <source>View full phone numbers</source>
            <translation>View full phone numbers</translation>
        </message>
    </context>
    <context>
        <name>ReportPanel</name>
        <message numerus="yes">
            <source>%n row(s).</source>
            <translation>
                <numerusform>%n row.</numerusform>
                <numerusform>%n rows.</numerusform>
            </translation>
        </message>
        <message>
            <source>&amp;From</source>
            <translation>&amp;From</translation>
        </message>
        <message>
            <source>T&amp;o</source>
            <translation>T&amp;o</translation>
        </message>
        <message>
            <source>&amp;Run</source>
            <translation>&amp;Run</translation>
        </message>
        <message>
            <source>E&amp;xport to Excel…</source>
            <translation>E&amp;xport to Excel…</translation>
        </message>
        <message>
            <source>&amp;Print preview…</source>
            <translation>&amp;Print preview…</translation>
        </message>
        <message>
            <source>The period ends before it starts.</source>
            <translation>The period ends before it starts.</translation>
        </message>
        <message>
            <source>Counting…</source>
            <translation>Counting…</translation>
        </message>
        <message>
            <source>{start} to {end}</source>
            <translation>{start} to {end}</translation>
        </message>
        <message>
            <source>Total</source>
            <translation>Total</translation>
        </message>
    </context>
    <context>
        <name>DailyCallsReport</name>
        <message>
            <source>Daily calls</source>
            <translation>Daily calls</translation>
        </message>
        <message>
            <source>&amp;Daily calls</source>
            <translation>&amp;Daily calls</translation>
        </message>
        <message>
            <source>Day</source>
            <translation>Day</translation>
        </message>
        <message>
            <source>Inbound</source>
            <translation>Inbound</translation>
        </message>
        <message>
            <source>Answered</source>
            <translation>Answered</translation>
        </message>
        <message>
            <source>Abandoned</source>
            <translation>Abandoned</translation>
        </message>
        <message>
            <source>Answer rate</source>
            <translation>Answer rate</translation>
        </message>
        <message>
            <source>Average talk</source>
            <translation>Average talk</translation>
        </message>
        <message>
            <source>Total</source>
            <translation>Total</translation>
        </message>
    </context>
    <context>
        <name>reports</name>
        <message>
            <source>Daily calls</source>
            <translation>Daily calls</translation>
        </message>
        <message>
            <source>&amp;Daily calls</source>
            <translation>&amp;Daily calls</translation>
        </message>
        <message>
            <source>Daily</source>
            <translation>Daily</translation>
        </message>
        <message>
            <source>Weekly</source>
            <translation>Weekly</translation>
        </message>
        <message>
            <source>Monthly</source>
            <translation>Monthly</translation>
        </message>
        <message>
            <source>Quarterly</source>
            <translation>Quarterly</translation>
        </message>
        <message>
            <source>Yearly</source>
            <translation>Yearly</translation>
        </message>
        <message>
            <source>Report</source>
            <translation>Report</translation>
        </message>
        <message>
            <source>Period</source>
            <translation>Period</translation>
        </message>
        <message>
            <source>Inbound</source>
            <translation>Inbound</translation>
        </message>
        <message>
            <source>Answered</source>
            <translation>Answered</translation>
        </message>
        <message>
            <source>Abandoned</source>
            <translation>Abandoned</translation>
        </message>
        <message>
            <source>Answer rate</source>
            <translation>Answer rate</translation>
        </message>
        <message>
            <source>Average talk</source>
            <translation>Average talk</translation>
        </message>
        <message>
            <source>Sales dispatch export</source>
            <translation>Sales dispatch export</translation>
        </message>
        <message>
            <source>Sales dispatch &amp;export</source>
            <translation>Sales dispatch &amp;export</translation>
        </message>
        <message>
            <source>Media sales detail</source>
            <translation>Media sales detail</translation>
        </message>
        <message>
            <source>&amp;Media sales detail</source>
            <translation>&amp;Media sales detail</translation>
        </message>
        <message>
            <source>Sales detail</source>
            <translation>Sales detail</translation>
        </message>
        <message>
            <source>Sa&amp;les detail</source>
            <translation>Sa&amp;les detail</translation>
        </message>
        <message>
            <source>Sales summary</source>
            <translation>Sales summary</translation>
        </message>
        <message>
            <source>Sales &amp;summary</source>
            <translation>Sales &amp;summary</translation>
        </message>
        <message>
            <source>Waybill no.</source>
            <translation>Waybill no.</translation>
        </message>
        <message>
            <source>No</source>
            <translation>No</translation>
        </message>
        <message>
            <source>Yes</source>
            <translation>Yes</translation>
        </message>
        <message>
            <source>Order no.</source>
            <translation>Order no.</translation>
        </message>
        <message>
            <source>Confirmed</source>
            <translation>Confirmed</translation>
        </message>
        <message>
            <source>Customer</source>
            <translation>Customer</translation>
        </message>
        <message>
            <source>Seller</source>
            <translation>Seller</translation>
        </message>
        <message>
            <source>Medium</source>
            <translation>Medium</translation>
        </message>
        <message>
            <source>Delivery</source>
            <translation>Delivery</translation>
        </message>
        <message>
            <source>Products</source>
            <translation>Products</translation>
        </message>
        <message>
            <source>Quantity</source>
            <translation>Quantity</translation>
        </message>
        <message>
            <source>Amount</source>
            <translation>Amount</translation>
        </message>
        <message>
            <source>COD amount</source>
            <translation>COD amount</translation>
        </message>
        <message>
            <source>By</source>
            <translation>By</translation>
        </message>
        <message>
            <source>Medium, seller and delivery</source>
            <translation>Medium, seller and delivery</translation>
        </message>
        <message>
            <source>Orders</source>
            <translation>Orders</translation>
        </message>
        <message>
            <source>Trial orders</source>
            <translation>Trial orders</translation>
        </message>
        <message>
            <source>Trial quantity</source>
            <translation>Trial quantity</translation>
        </message>
        <message>
            <source>Trial amount</source>
            <translation>Trial amount</translation>
        </message>
        <message>
            <source>Department</source>
            <translation>Department</translation>
        </message>
        <message>
            <source>Product</source>
            <translation>Product</translation>
        </message>
        <message>
            <source>Ranking</source>
            <translation>Ranking</translation>
        </message>
        <message>
            <source>Rank</source>
            <translation>Rank</translation>
        </message>
        <message>
            <source>Share</source>
            <translation>Share</translation>
        </message>
        <message>
            <source>Employee calls</source>
            <translation>Employee calls</translation>
        </message>
        <message>
            <source>&amp;Employee calls</source>
            <translation>&amp;Employee calls</translation>
        </message>
        <message>
            <source>Employee no.</source>
            <translation>Employee no.</translation>
        </message>
        <message>
            <source>Employee</source>
            <translation>Employee</translation>
        </message>
        <message>
            <source>Inbound calls</source>
            <translation>Inbound calls</translation>
        </message>
        <message>
            <source>Inbound answered</source>
            <translation>Inbound answered</translation>
        </message>
        <message>
            <source>Outbound calls</source>
            <translation>Outbound calls</translation>
        </message>
        <message>
            <source>Outbound connected</source>
            <translation>Outbound connected</translation>
        </message>
        <message>
            <source>Inbound talk time</source>
            <translation>Inbound talk time</translation>
        </message>
        <message>
            <source>Outbound talk time</source>
            <translation>Outbound talk time</translation>
        </message>
        <message>
            <source>Customer records</source>
            <translation>Customer records</translation>
        </message>
        <message>
            <source>&amp;Customer records</source>
            <translation>&amp;Customer records</translation>
        </message>
        <message>
            <source>Class</source>
            <translation>Class</translation>
        </message>
        <message>
            <source>Source</source>
            <translation>Source</translation>
        </message>
        <message>
            <source>Region</source>
            <translation>Region</translation>
        </message>
        <message>
            <source>All</source>
            <translation>All</translation>
        </message>
        <message>
            <source>A VIP</source>
            <translation>A VIP</translation>
        </message>
        <message>
            <source>B Key</source>
            <translation>B Key</translation>
        </message>
        <message>
            <source>C Ordinary</source>
            <translation>C Ordinary</translation>
        </message>
        <message>
            <source>D Dead</source>
            <translation>D Dead</translation>
        </message>
        <message>
            <source>Direct sale</source>
            <translation>Direct sale</translation>
        </message>
        <message>
            <source>Callback</source>
            <translation>Callback</translation>
        </message>
        <message>
            <source>Transferred</source>
            <translation>Transferred</translation>
        </message>
        <message>
            <source>No region</source>
            <translation>No region</translation>
        </message>
        <message>
            <source>Grouping</source>
            <translation>Grouping</translation>
        </message>
        <message>
            <source>Item</source>
            <translation>Item</translation>
        </message>
        <message>
            <source>Registered in period</source>
            <translation>Registered in period</translation>
        </message>
        <message>
            <source>On file at period end</source>
            <translation>On file at period end</translation>
        </message>
        <message>
            <source>Share on file</source>
            <translation>Share on file</translation>
        </message>
        <message>
            <source>Allocation use</source>
            <translation>Allocation use</translation>
        </message>
        <message>
            <source>&amp;Allocation use</source>
            <translation>&amp;Allocation use</translation>
        </message>
        <message>
            <source>Allocated as</source>
            <translation>Allocated as</translation>
        </message>
        <message>
            <source>Owner or callback agent</source>
            <translation>Owner or callback agent</translation>
        </message>
        <message>
            <source>Owner</source>
            <translation>Owner</translation>
        </message>
        <message>
            <source>Callback agent</source>
            <translation>Callback agent</translation>
        </message>
        <message>
            <source>Allocated</source>
            <translation>Allocated</translation>
        </message>
        <message>
            <source>Contacted</source>
            <translation>Contacted</translation>
        </message>
        <message>
            <source>Contact rate</source>
            <translation>Contact rate</translation>
        </message>
        <message>
            <source>Ordered</source>
            <translation>Ordered</translation>
        </message>
        <message>
            <source>Order rate</source>
            <translation>Order rate</translation>
        </message>
        <message>
            <source>KPIs by interval</source>
            <translation>KPIs by interval</translation>
        </message>
        <message>
            <source>&amp;KPIs by interval</source>
            <translation>&amp;KPIs by interval</translation>
        </message>
        <message>
            <source>Queue wait histogram</source>
            <translation>Queue wait histogram</translation>
        </message>
        <message>
            <source>&amp;Queue wait histogram</source>
            <translation>&amp;Queue wait histogram</translation>
        </message>
        <message>
            <source>Agent state times</source>
            <translation>Agent state times</translation>
        </message>
        <message>
            <source>Agent &amp;state times</source>
            <translation>Agent &amp;state times</translation>
        </message>
        <message>
            <source>15 minutes</source>
            <translation>15 minutes</translation>
        </message>
        <message>
            <source>30 minutes</source>
            <translation>30 minutes</translation>
        </message>
        <message>
            <source>60 minutes</source>
            <translation>60 minutes</translation>
        </message>
        <message>
            <source>Interval</source>
            <translation>Interval</translation>
        </message>
        <message>
            <source>Group</source>
            <translation>Group</translation>
        </message>
        <message>
            <source>Agent</source>
            <translation>Agent</translation>
        </message>
        <message>
            <source>Name</source>
            <translation>Name</translation>
        </message>
        <message>
            <source>Offered</source>
            <translation>Offered</translation>
        </message>
        <message>
            <source>Short abandons</source>
            <translation>Short abandons</translation>
        </message>
        <message>
            <source>Service level</source>
            <translation>Service level</translation>
        </message>
        <message>
            <source>Abandon rate</source>
            <translation>Abandon rate</translation>
        </message>
        <message>
            <source>ASA</source>
            <translation>ASA</translation>
        </message>
        <message>
            <source>AHT</source>
            <translation>AHT</translation>
        </message>
        <message>
            <source>Wrap-up</source>
            <translation>Wrap-up</translation>
        </message>
        <message>
            <source>Ready</source>
            <translation>Ready</translation>
        </message>
        <message>
            <source>Busy</source>
            <translation>Busy</translation>
        </message>
        <message>
            <source>Ringing</source>
            <translation>Ringing</translation>
        </message>
        <message>
            <source>Talking</source>
            <translation>Talking</translation>
        </message>
        <message>
            <source>Logged out</source>
            <translation>Logged out</translation>
        </message>
        <message>
            <source>Occupancy</source>
            <translation>Occupancy</translation>
        </message>
        <message>
            <source>Conversion</source>
            <translation>Conversion</translation>
        </message>
        <message>
            <source>Wait (s)</source>
            <translation>Wait (s)</translation>
        </message>
        <message>
            <source>Calls</source>
            <translation>Calls</translation>
        </message>
        <message>
            <source>Total</source>
            <translation>Total</translation>
        </message>
        <message>
            <source>Detail</source>
            <translation>Detail</translation>
        </message>
        <message>
            <source>States</source>
            <translation>States</translation>
        </message>
        <message>
            <source>Busy reasons</source>
            <translation>Busy reasons</translation>
        </message>
        <message>
            <source>Busy reason</source>
            <translation>Busy reason</translation>
        </message>
        <message>
            <source>Share of busy</source>
            <translation>Share of busy</translation>
        </message>
        <message>
            <source>Inbound sales</source>
            <translation>Inbound sales</translation>
        </message>
        <message>
            <source>Leads by medium and period</source>
            <translation>Leads by medium and period</translation>
        </message>
        <message>
            <source>Employee leads and sales</source>
            <translation>Employee leads and sales</translation>
        </message>
        <message>
            <source>Region leads and sales</source>
            <translation>Region leads and sales</translation>
        </message>
        <message>
            <source>Time slot</source>
            <translation>Time slot</translation>
        </message>
        <message>
            <source>Sales kind</source>
            <translation>Sales kind</translation>
        </message>
        <message>
            <source>Variety</source>
            <translation>Variety</translation>
        </message>
        <message>
            <source>Business number</source>
            <translation>Business number</translation>
        </message>
        <message>
            <source>Leads</source>
            <translation>Leads</translation>
        </message>
        <message>
            <source>Bundled sale</source>
            <translation>Bundled sale</translation>
        </message>
        <message>
            <source>Gift</source>
            <translation>Gift</translation>
        </message>
        <message>
            <source>Intraday staffing</source>
            <translation>Intraday staffing</translation>
        </message>
        <message>
            <source>&amp;Intraday staffing</source>
            <translation>&amp;Intraday staffing</translation>
        </message>
        <message>
            <source>Service level goal</source>
            <translation>Service level goal</translation>
        </message>
        <message>
            <source>Agents needed</source>
            <translation>Agents needed</translation>
        </message>
        <message>
            <source>Agents staffed</source>
            <translation>Agents staffed</translation>
        </message>
        <message>
            <source>Gap</source>
            <translation>Gap</translation>
        </message>
        <message>
            <source>Advert response</source>
            <translation>Advert response</translation>
        </message>
        <message>
            <source>Advert &amp;response</source>
            <translation>Advert &amp;response</translation>
        </message>
        <message>
            <source>Response curve</source>
            <translation>Response curve</translation>
        </message>
        <message>
            <source>Response &amp;curve</source>
            <translation>Response &amp;curve</translation>
        </message>
        <message>
            <source>Placement</source>
            <translation>Placement</translation>
        </message>
        <message>
            <source>Air slot</source>
            <translation>Air slot</translation>
        </message>
        <message>
            <source>Cost</source>
            <translation>Cost</translation>
        </message>
        <message>
            <source>Cost per call</source>
            <translation>Cost per call</translation>
        </message>
        <message>
            <source>Cost per order</source>
            <translation>Cost per order</translation>
        </message>
        <message>
            <source>Baseline calls/min</source>
            <translation>Baseline calls/min</translation>
        </message>
        <message>
            <source>Calls in 60 min</source>
            <translation>Calls in 60 min</translation>
        </message>
        <message>
            <source>Lift</source>
            <translation>Lift</translation>
        </message>
        <message>
            <source>Air date</source>
            <translation>Air date</translation>
        </message>
        <message>
            <source>Start</source>
            <translation>Start</translation>
        </message>
        <message>
            <source>Variety / product</source>
            <translation>Variety / product</translation>
        </message>
        <message>
            <source>Placements</source>
            <translation>Placements</translation>
        </message>
        <message>
            <source>Minute</source>
            <translation>Minute</translation>
        </message>
        <message>
            <source>Medium calls</source>
            <translation>Medium calls</translation>
        </message>
        <message>
            <source>Delivered</source>
            <translation>Delivered</translation>
        </message>
        <message>
            <source>Returned</source>
            <translation>Returned</translation>
        </message>
        <message>
            <source>All (delivered and returned)</source>
            <translation>All (delivered and returned)</translation>
        </message>
        <message>
            <source>Not trial</source>
            <translation>Not trial</translation>
        </message>
        <message>
            <source>Trial</source>
            <translation>Trial</translation>
        </message>
        <message>
            <source>Delivery class</source>
            <translation>Delivery class</translation>
        </message>
        <message>
            <source>A EMS</source>
            <translation>A EMS</translation>
        </message>
        <message>
            <source>B Local delivery</source>
            <translation>B Local delivery</translation>
        </message>
        <message>
            <source>C Post</source>
            <translation>C Post</translation>
        </message>
        <message>
            <source>D Other</source>
            <translation>D Other</translation>
        </message>
        <message>
            <source>Dispatch feedback details</source>
            <translation>Dispatch feedback details</translation>
        </message>
        <message>
            <source>Accepted</source>
            <translation>Accepted</translation>
        </message>
        <message>
            <source>Courier</source>
            <translation>Courier</translation>
        </message>
        <message>
            <source>Result</source>
            <translation>Result</translation>
        </message>
        <message>
            <source>Delivery fee</source>
            <translation>Delivery fee</translation>
        </message>
        <message>
            <source>Remark</source>
            <translation>Remark</translation>
        </message>
        <message>
            <source>Clerk</source>
            <translation>Clerk</translation>
        </message>
        <message>
            <source>Delivery statistics</source>
            <translation>Delivery statistics</translation>
        </message>
        <message>
            <source>Parcels</source>
            <translation>Parcels</translation>
        </message>
        <message>
            <source>Delivered share</source>
            <translation>Delivered share</translation>
        </message>
        <message>
            <source>COD delivered</source>
            <translation>COD delivered</translation>
        </message>
        <message>
            <source>Delivery fees</source>
            <translation>Delivery fees</translation>
        </message>
        <message>
            <source>Pending dispatch</source>
            <translation>Pending dispatch</translation>
        </message>
        <message>
            <source>Days waiting</source>
            <translation>Days waiting</translation>
        </message>
        <message>
            <source>Phone</source>
            <translation>Phone</translation>
        </message>
        <message>
            <source>Printed</source>
            <translation>Printed</translation>
        </message>
        <message>
            <source>Voided orders</source>
            <translation>Voided orders</translation>
        </message>
        <message>
            <source>Voided</source>
            <translation>Voided</translation>
        </message>
        <message>
            <source>How</source>
            <translation>How</translation>
        </message>
        <message>
            <source>Reason</source>
            <translation>Reason</translation>
        </message>
        <message>
            <source>Mailing list</source>
            <translation>Mailing list</translation>
        </message>
        <message>
            <source>Recipient</source>
            <translation>Recipient</translation>
        </message>
        <message>
            <source>Address</source>
            <translation>Address</translation>
        </message>
        <message>
            <source>Goods</source>
            <translation>Goods</translation>
        </message>
        <message>
            <source>Which parcels</source>
            <translation>Which parcels</translation>
        </message>
        <message>
            <source>Done by</source>
            <translation>Done by</translation>
        </message>
    </context>
    <context>
        <name>DefinedReport</name>
        <message>
            <source>That year has no such week.</source>
            <translation>That year has no such week.</translation>
        </message>
        <message>
            <source>ACD &amp;group</source>
            <translation>ACD &amp;group</translation>
        </message>
        <message>
            <source>&amp;Department</source>
            <translation>&amp;Department</translation>
        </message>
        <message>
            <source>&amp;Year</source>
            <translation>&amp;Year</translation>
        </message>
        <message>
            <source>&amp;No.</source>
            <translation>&amp;No.</translation>
        </message>
        <message>
            <source>Title row in Excel</source>
            <translation>Title row in Excel</translation>
        </message>
    </context>
    <context>
        <name>CourierSheetPanel</name>
        <message>
            <source>Courier sheets</source>
            <translation>Courier sheets</translation>
        </message>
        <message>
            <source>Row</source>
            <translation>Row</translation>
        </message>
        <message>
            <source>Waybill / number</source>
            <translation>Waybill / number</translation>
        </message>
        <message>
            <source>Order no.</source>
            <translation>Order no.</translation>
        </message>
        <message>
            <source>Result</source>
            <translation>Result</translation>
        </message>
        <message>
            <source>Remitted</source>
            <translation>Remitted</translation>
        </message>
        <message>
            <source>COD amount</source>
            <translation>COD amount</translation>
        </message>
        <message>
            <source>Fate</source>
            <translation>Fate</translation>
        </message>
        <message>
            <source>Reason</source>
            <translation>Reason</translation>
        </message>
        <message>
            <source>Delivered</source>
            <translation>Delivered</translation>
        </message>
        <message>
            <source>Returned</source>
            <translation>Returned</translation>
        </message>
        <message>
            <source>Applied</source>
            <translation>Applied</translation>
        </message>
        <message>
            <source>Applied, differs</source>
            <translation>Applied, differs</translation>
        </message>
        <message>
            <source>Skipped</source>
            <translation>Skipped</translation>
        </message>
        <message>
            <source>Refused</source>
            <translation>Refused</translation>
        </message>
        <message>
            <source>Not remitted</source>
            <translation>Not remitted</translation>
        </message>
        <message>
            <source>Delivery &amp;results</source>
            <translation>Delivery &amp;results</translation>
        </message>
        <message>
            <source>COD &amp;remittances</source>
            <translation>COD &amp;remittances</translation>
        </message>
        <message>
            <source>Courier</source>
            <translation>Courier</translation>
        </message>
        <message>
            <source>Sheet</source>
            <translation>Sheet</translation>
        </message>
        <message>
            <source>Choose…</source>
            <translation>Choose…</translation>
        </message>
        <message>
            <source>Chec&amp;k</source>
            <translation>Chec&amp;k</translation>
        </message>
        <message>
            <source>&amp;Import</source>
            <translation>&amp;Import</translation>
        </message>
        <message>
            <source>E&amp;xport</source>
            <translation>E&amp;xport</translation>
        </message>
        <message>
            <source>A courier's sheet</source>
            <translation>A courier's sheet</translation>
        </message>
        <message>
            <source>Sheets (*.xlsx *.xls *.csv)</source>
            <translation>Sheets (*.xlsx *.xls *.csv)</translation>
        </message>
        <message>
            <source>Choose the courier's sheet first.</source>
            <translation>Choose the courier's sheet first.</translation>
        </message>
        <message>
            <source>Import {file} from {courier}?</source>
            <translation>Import {file} from {courier}?</translation>
        </message>
        <message>
            <source>Would apply {n}</source>
            <translation>Would apply {n}</translation>
        </message>
        <message>
            <source>Applied {n}</source>
            <translation>Applied {n}</translation>
        </message>
        <message>
            <source>; differs {flagged}, skipped {skipped}, refused {refused}.</source>
            <translation>; differs {flagged}, skipped {skipped}, refused {refused}.</translation>
        </message>
        <message>
            <source>COD expected ¥{expected:,.2f}, remitted ¥{remitted:,.2f}, difference ¥{difference:,.2f}, fees ¥{fees:,.2f}; {n} delivered parcels not remitted (¥{missing:,.2f}).</source>
            <translation>COD expected ¥{expected:,.2f}, remitted ¥{remitted:,.2f}, difference ¥{difference:,.2f}, fees ¥{fees:,.2f}; {n} delivered parcels not remitted (¥{missing:,.2f}).</translation>
        </message>
        <message>
            <source>Check a sheet first.</source>
            <translation>Check a sheet first.</translation>
        </message>
        <message>
            <source>&amp;Problems only</source>
            <translation>&amp;Problems only</translation>
        </message>
        <message>
            <source>Would apply</source>
            <translation>Would apply</translation>
        </message>
        <message>
            <source>Would apply, differs</source>
            <translation>Would apply, differs</translation>
        </message>
    </context>
    <context>
        <name>DispatchCatalogPanel</name>
        <message>
            <source>Dispatch catalogue</source>
            <translation>Dispatch catalogue</translation>
        </message>
        <message>
            <source>Order no.</source>
            <translation>Order no.</translation>
        </message>
        <message>
            <source>Confirmed</source>
            <translation>Confirmed</translation>
        </message>
        <message>
            <source>Customer</source>
            <translation>Customer</translation>
        </message>
        <message>
            <source>Phone</source>
            <translation>Phone</translation>
        </message>
        <message>
            <source>Region</source>
            <translation>Region</translation>
        </message>
        <message>
            <source>Cl.</source>
            <translation>Cl.</translation>
        </message>
        <message>
            <source>COD</source>
            <translation>COD</translation>
        </message>
        <message>
            <source>Goods</source>
            <translation>Goods</translation>
        </message>
        <message>
            <source>Status</source>
            <translation>Status</translation>
        </message>
        <message>
            <source>Printed</source>
            <translation>Printed</translation>
        </message>
        <message>
            <source>Fb.</source>
            <translation>Fb.</translation>
        </message>
        <message>
            <source>Waybill</source>
            <translation>Waybill</translation>
        </message>
        <message>
            <source>Sent again</source>
            <translation>Sent again</translation>
        </message>
        <message>
            <source>Seller</source>
            <translation>Seller</translation>
        </message>
        <message>
            <source>Address</source>
            <translation>Address</translation>
        </message>
        <message>
            <source>Class</source>
            <translation>Class</translation>
        </message>
        <message>
            <source>Product</source>
            <translation>Product</translation>
        </message>
        <message>
            <source>Fed back</source>
            <translation>Fed back</translation>
        </message>
        <message>
            <source>Find</source>
            <translation>Find</translation>
        </message>
        <message>
            <source>Withdrawn orders (撤销单)</source>
            <translation>Withdrawn orders (撤销单)</translation>
        </message>
        <message>
            <source>&amp;Search</source>
            <translation>&amp;Search</translation>
        </message>
        <message>
            <source>Template</source>
            <translation>Template</translation>
        </message>
        <message>
            <source>By delivery class</source>
            <translation>By delivery class</translation>
        </message>
        <message>
            <source>Pre&amp;view</source>
            <translation>Pre&amp;view</translation>
        </message>
        <message>
            <source>&amp;Print…</source>
            <translation>&amp;Print…</translation>
        </message>
        <message>
            <source>P&amp;DF…</source>
            <translation>P&amp;DF…</translation>
        </message>
        <message>
            <source>&amp;Withdraw</source>
            <translation>&amp;Withdraw</translation>
        </message>
        <message>
            <source>V&amp;oid</source>
            <translation>V&amp;oid</translation>
        </message>
        <message>
            <source>&amp;Cancel order</source>
            <translation>&amp;Cancel order</translation>
        </message>
        <message>
            <source>&amp;Delete withdrawn</source>
            <translation>&amp;Delete withdrawn</translation>
        </message>
        <message>
            <source>Text to find</source>
            <translation>Text to find</translation>
        </message>
        <message>
            <source>Yes</source>
            <translation>Yes</translation>
        </message>
        <message>
            <source>No</source>
            <translation>No</translation>
        </message>
        <message>
            <source>Last {n} days</source>
            <translation>Last {n} days</translation>
        </message>
        <message>
            <source>Withdrawn</source>
            <translation>Withdrawn</translation>
        </message>
        <message>
            <source> (scroll for more)</source>
            <translation> (scroll for more)</translation>
        </message>
        <message numerus="yes">
            <source>%n order(s)</source>
            <translation>
                <numerusform>%n order</numerusform>
                <numerusform>%n orders</numerusform>
            </translation>
        </message>
        <message>
            <source>Sent again by sales (传物流): {changes}</source>
            <translation>Sent again by sales (传物流): {changes}</translation>
        </message>
        <message>
            <source>already fed back</source>
            <translation>already fed back</translation>
        </message>
        <message>
            <source>withdrawn</source>
            <translation>withdrawn</translation>
        </message>
        <message>
            <source>Tick the orders to print, or choose one.</source>
            <translation>Tick the orders to print, or choose one.</translation>
        </message>
        <message>
            <source>No label template is installed.</source>
            <translation>No label template is installed.</translation>
        </message>
        <message numerus="yes">
            <source>%n order(s) printed.</source>
            <translation>
                <numerusform>%n order printed.</numerusform>
                <numerusform>%n orders printed.</numerusform>
            </translation>
        </message>
        <message>
            <source>Not printed: {list}</source>
            <translation>Not printed: {list}</translation>
        </message>
        <message>
            <source>Save the labels as PDF</source>
            <translation>Save the labels as PDF</translation>
        </message>
        <message>
            <source>Print preview: {n} label(s)</source>
            <translation>Print preview: {n} label(s)</translation>
        </message>
        <message>
            <source>Choose the order first.</source>
            <translation>Choose the order first.</translation>
        </message>
        <message>
            <source>Withdraw order {order_no} to sales (撤单)? Why?</source>
            <translation>Withdraw order {order_no} to sales (撤单)? Why?</translation>
        </message>
        <message>
            <source>Void printed order {order_no} (作废)? Why?</source>
            <translation>Void printed order {order_no} (作废)? Why?</translation>
        </message>
        <message>
            <source>Cancel order {order_no} (取消单)? Why?</source>
            <translation>Cancel order {order_no} (取消单)? Why?</translation>
        </message>
        <message>
            <source>Delete withdrawn order {order_no} for good? Why?</source>
            <translation>Delete withdrawn order {order_no} for good? Why?</translation>
        </message>
        <message>
            <source>{order_no} went back to sales.</source>
            <translation>{order_no} went back to sales.</translation>
        </message>
        <message>
            <source>{order_no} is voided.</source>
            <translation>{order_no} is voided.</translation>
        </message>
        <message>
            <source>{order_no} is cancelled.</source>
            <translation>{order_no} is cancelled.</translation>
        </message>
        <message>
            <source>{order_no} is deleted.</source>
            <translation>{order_no} is deleted.</translation>
        </message>
        <message>
            <source>Way&amp;bill…</source>
            <translation>Way&amp;bill…</translation>
        </message>
        <message>
            <source>&amp;Mailing list</source>
            <translation>&amp;Mailing list</translation>
        </message>
        <message>
            <source>E&amp;xport list</source>
            <translation>E&amp;xport list</translation>
        </message>
        <message>
            <source>Waybill of order {order_no}:</source>
            <translation>Waybill of order {order_no}:</translation>
        </message>
        <message>
            <source>{order_no}: waybill {waybill}.</source>
            <translation>{order_no}: waybill {waybill}.</translation>
        </message>
        <message>
            <source>Recipient</source>
            <translation>Recipient</translation>
        </message>
        <message>
            <source>Delivery</source>
            <translation>Delivery</translation>
        </message>
        <message>
            <source>Tick the orders to hand over, or choose one.</source>
            <translation>Tick the orders to hand over, or choose one.</translation>
        </message>
        <message numerus="yes">
            <source>%n parcel(s)</source>
            <translation>
                <numerusform>%n parcel</numerusform>
                <numerusform>%n parcels</numerusform>
            </translation>
        </message>
        <message>
            <source>Mailing list</source>
            <translation>Mailing list</translation>
        </message>
        <message>
            <source>Requirements</source>
            <translation>Requirements</translation>
        </message>
        <message>
            <source>Remark</source>
            <translation>Remark</translation>
        </message>
    </context>
    <context>
        <name>DispatchFeedbackPanel</name>
        <message>
            <source>Dispatch feedback</source>
            <translation>Dispatch feedback</translation>
        </message>
        <message>
            <source>Order no.</source>
            <translation>Order no.</translation>
        </message>
        <message>
            <source>Customer</source>
            <translation>Customer</translation>
        </message>
        <message>
            <source>COD</source>
            <translation>COD</translation>
        </message>
        <message>
            <source>Result</source>
            <translation>Result</translation>
        </message>
        <message>
            <source>Courier</source>
            <translation>Courier</translation>
        </message>
        <message>
            <source>Fee</source>
            <translation>Fee</translation>
        </message>
        <message>
            <source>Remark</source>
            <translation>Remark</translation>
        </message>
        <message>
            <source>Refused because</source>
            <translation>Refused because</translation>
        </message>
        <message>
            <source>Delivered</source>
            <translation>Delivered</translation>
        </message>
        <message>
            <source>Returned</source>
            <translation>Returned</translation>
        </message>
        <message>
            <source>Order no. / waybill</source>
            <translation>Order no. / waybill</translation>
        </message>
        <message>
            <source>Scan or type, then Enter</source>
            <translation>Scan or type, then Enter</translation>
        </message>
        <message>
            <source>&amp;Delivered</source>
            <translation>&amp;Delivered</translation>
        </message>
        <message>
            <source>&amp;Returned</source>
            <translation>&amp;Returned</translation>
        </message>
        <message>
            <source>Delivery fee</source>
            <translation>Delivery fee</translation>
        </message>
        <message>
            <source>&amp;Add to batch (Enter)</source>
            <translation>&amp;Add to batch (Enter)</translation>
        </message>
        <message>
            <source>Remove (Del)</source>
            <translation>Remove (Del)</translation>
        </message>
        <message>
            <source>Accept batch (Ctrl+Enter)</source>
            <translation>Accept batch (Ctrl+Enter)</translation>
        </message>
        <message>
            <source>{ref} is already in the batch.</source>
            <translation>{ref} is already in the batch.</translation>
        </message>
        <message>
            <source>Enter adds it to the batch as shown; Alt+R makes it returned.</source>
            <translation>Enter adds it to the batch as shown; Alt+R makes it returned.</translation>
        </message>
        <message>
            <source> (trial)</source>
            <translation> (trial)</translation>
        </message>
        <message>
            <source>Collect on delivery: {amount}</source>
            <translation>Collect on delivery: {amount}</translation>
        </message>
        <message>
            <source>Scan or type a parcel first.</source>
            <translation>Scan or type a parcel first.</translation>
        </message>
        <message>
            <source>{order_no} added.</source>
            <translation>{order_no} added.</translation>
        </message>
        <message>
            <source>{n} parcels, {returned} returned; COD delivered {cod}</source>
            <translation>{n} parcels, {returned} returned; COD delivered {cod}</translation>
        </message>
        <message>
            <source>The batch is empty: scan a parcel first.</source>
            <translation>The batch is empty: scan a parcel first.</translation>
        </message>
        <message>
            <source>Accept the feedback of {n} parcels?</source>
            <translation>Accept the feedback of {n} parcels?</translation>
        </message>
        <message>
            <source>{done} parcels accepted; {n} refused, shown with the reason.</source>
            <translation>{done} parcels accepted; {n} refused, shown with the reason.</translation>
        </message>
        <message>
            <source>{done} parcels accepted.</source>
            <translation>{done} parcels accepted.</translation>
        </message>
        <message>
            <source>{ref} is already in the batch as {order_no}.</source>
            <translation>{ref} is already in the batch as {order_no}.</translation>
        </message>
    </context>
    <context>
        <name>logistics</name>
        <message>
            <source>Dispatch &amp;catalogue</source>
            <translation>Dispatch &amp;catalogue</translation>
        </message>
        <message>
            <source>Dispatch &amp;feedback</source>
            <translation>Dispatch &amp;feedback</translation>
        </message>
        <message>
            <source>Courier &amp;sheets</source>
            <translation>Courier &amp;sheets</translation>
        </message>
    </context>
</TS>
