<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>ArchivePanel</name>
    <message>
        <source>Filter…</source>
        <translation>筛选…</translation>
    </message>
    <message>
        <source>&amp;Add</source>
        <translation>新增(&amp;A)</translation>
    </message>
    <message>
        <source>&amp;Edit</source>
        <translation>修改(&amp;E)</translation>
    </message>
    <message>
        <source>&amp;Delete</source>
        <translation>删除(&amp;D)</translation>
    </message>
    <message>
        <source>Re&amp;fresh</source>
        <translation>刷新(&amp;F)</translation>
    </message>
    <message numerus="yes">
        <source>%n record(s)</source>
        <translation>
            <numerusform>共 %n 条记录</numerusform>
        </translation>
    </message>
    <message>
        <source>Select a row first.</source>
        <translation>请先选择一行。</translation>
    </message>
    <message>
        <source>Add: {archive}</source>
        <translation>新增：{archive}</translation>
    </message>
    <message>
        <source>Edit: {archive}</source>
        <translation>修改：{archive}</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>删除</translation>
    </message>
    <message>
        <source>Delete the selected record?</source>
        <translation>删除选中的记录吗？</translation>
    </message>
</context>
<context>
    <name>ChangePasswordDialog</name>
    <message>
        <source>Change password</source>
        <translation>修改密码</translation>
    </message>
    <message>
        <source>Your password was reset. Choose a new password before you continue.</source>
        <translation>您的密码已被恢复为默认密码。请先设置新密码再继续。</translation>
    </message>
    <message>
        <source>Choose a new password.</source>
        <translation>请设置新密码。</translation>
    </message>
    <message>
        <source>&amp;Current password:</source>
        <translation>当前密码(&amp;C)：</translation>
    </message>
    <message>
        <source>&amp;New password:</source>
        <translation>新密码(&amp;N)：</translation>
    </message>
    <message>
        <source>&amp;Repeat:</source>
        <translation>确认新密码(&amp;R)：</translation>
    </message>
    <message>
        <source>The two new passwords differ.</source>
        <translation>两次输入的新密码不一致。</translation>
    </message>
</context>
<context>
    <name>CrashDialog</name>
    <message>
        <source>Unexpected error</source>
        <translation>程序错误</translation>
    </message>
    <message>
        <source>Something went wrong inside the program. Your saved data is safe; the change you were making may not have been saved. Please copy this report and send it to your administrator.
Log file: {path}</source>
        <translation>程序内部出现错误。已保存的数据是安全的；您正在进行的修改可能没有保存。请复制此报告并发送给管理员。
日志文件：{path}</translation>
    </message>
    <message>
        <source>Copy report</source>
        <translation>复制报告</translation>
    </message>
</context>
<context>
    <name>DepartmentsPanel</name>
    <message>
        <source>Departments</source>
        <translation>部门档案</translation>
    </message>
    <message>
        <source>Number</source>
        <translation>编号</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>Function</source>
        <translation>职能</translation>
    </message>
    <message>
        <source>Business number</source>
        <translation>业务号码</translation>
    </message>
    <message>
        <source>Number:</source>
        <translation>编号：</translation>
    </message>
    <message>
        <source>Name:</source>
        <translation>名称：</translation>
    </message>
    <message>
        <source>Function:</source>
        <translation>职能：</translation>
    </message>
    <message>
        <source>Business number:</source>
        <translation>业务号码：</translation>
    </message>
</context>
<context>
    <name>EmployeesPanel</name>
    <message>
        <source>Employees</source>
        <translation>员工档案</translation>
    </message>
    <message>
        <source>Login</source>
        <translation>员工号</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>姓名</translation>
    </message>
    <message>
        <source>Department</source>
        <translation>部门</translation>
    </message>
    <message>
        <source>Role</source>
        <translation>角色</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Round robin</source>
        <translation>轮选</translation>
    </message>
    <message>
        <source>Permissions</source>
        <translation>权限</translation>
    </message>
    <message>
        <source>Reset password</source>
        <translation>登陆恢复</translation>
    </message>
    <message>
        <source>Close user</source>
        <translation>关闭用户</translation>
    </message>
    <message>
        <source>Ban login</source>
        <translation>禁止登陆</translation>
    </message>
    <message>
        <source>Reactivate</source>
        <translation>恢复启用</translation>
    </message>
    <message>
        <source>Permissions…</source>
        <translation>权限设置…</translation>
    </message>
    <message>
        <source>Switch round robin</source>
        <translation>启用/关闭轮选</translation>
    </message>
    <message>
        <source>Department:</source>
        <translation>部门：</translation>
    </message>
    <message>
        <source>Role:</source>
        <translation>角色：</translation>
    </message>
    <message>
        <source>Login:</source>
        <translation>员工号：</translation>
    </message>
    <message>
        <source>Name:</source>
        <translation>姓名：</translation>
    </message>
    <message>
        <source>Initial password:</source>
        <translation>初始密码：</translation>
    </message>
    <message>
        <source>Select a row first.</source>
        <translation>请先选择一行。</translation>
    </message>
    <message>
        <source>The password of {login} is back to the default; they choose a new one at next login.</source>
        <translation>{login} 的密码已恢复为默认密码，下次登录时须设置新密码。</translation>
    </message>
    <message>
        <source>{login} is closed.</source>
        <translation>已关闭用户 {login}。</translation>
    </message>
    <message>
        <source>{login} can no longer log in.</source>
        <translation>已禁止 {login} 登陆。</translation>
    </message>
    <message>
        <source>{login} is active again.</source>
        <translation>{login} 已恢复启用。</translation>
    </message>
    <message>
        <source>Round robin switched for {login}.</source>
        <translation>已切换 {login} 的轮选状态。</translation>
    </message>
    <message>
        <source>Permissions of {login}</source>
        <translation>{login} 的权限</translation>
    </message>
</context>
<context>
    <name>LoginDialog</name>
    <message>
        <source>Log in</source>
        <translation>登录</translation>
    </message>
    <message>
        <source>Agent desk</source>
        <translation>坐席工作台</translation>
    </message>
    <message>
        <source>&amp;Login:</source>
        <translation>员工号(&amp;L)：</translation>
    </message>
    <message>
        <source>&amp;Password:</source>
        <translation>密码(&amp;P)：</translation>
    </message>
    <message>
        <source>&amp;Remember the password on this computer</source>
        <translation>在本机记住密码(&amp;R)</translation>
    </message>
    <message>
        <source>&amp;Settings…</source>
        <translation>系统配置(&amp;S)…</translation>
    </message>
    <message>
        <source>Enter your login.</source>
        <translation>请输入员工号。</translation>
    </message>
    <message>
        <source>Enter your password.</source>
        <translation>请输入密码。</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>&amp;System</source>
        <translation>系统管理(&amp;S)</translation>
    </message>
    <message>
        <source>&amp;Archives</source>
        <translation>档案管理(&amp;A)</translation>
    </message>
    <message>
        <source>&amp;Direct sales</source>
        <translation>直销管理(&amp;D)</translation>
    </message>
    <message>
        <source>&amp;Logistics</source>
        <translation>物流管理(&amp;L)</translation>
    </message>
    <message>
        <source>&amp;Calls</source>
        <translation>接线管理(&amp;C)</translation>
    </message>
    <message>
        <source>S&amp;tatistics</source>
        <translation>统计分析(&amp;T)</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>系统帮助(&amp;H)</translation>
    </message>
    <message>
        <source>Change &amp;password…</source>
        <translation>修改密码(&amp;P)…</translation>
    </message>
    <message>
        <source>&amp;Workstation settings…</source>
        <translation>系统配置(&amp;W)…</translation>
    </message>
    <message>
        <source>&amp;Employees</source>
        <translation>员工档案(&amp;E)</translation>
    </message>
    <message>
        <source>Pa&amp;nels</source>
        <translation>面板(&amp;N)</translation>
    </message>
    <message>
        <source>E&amp;xit</source>
        <translation>退出(&amp;X)</translation>
    </message>
    <message>
        <source>&amp;Regions</source>
        <translation>区域档案(&amp;R)</translation>
    </message>
    <message>
        <source>&amp;Departments</source>
        <translation>部门档案(&amp;D)</translation>
    </message>
    <message>
        <source>&amp;Varieties</source>
        <translation>品种档案(&amp;V)</translation>
    </message>
    <message>
        <source>&amp;Products</source>
        <translation>商品档案(&amp;P)</translation>
    </message>
    <message>
        <source>&amp;Media</source>
        <translation>媒体档案(&amp;M)</translation>
    </message>
    <message>
        <source>Media p&amp;lacements</source>
        <translation>媒体投放(&amp;L)</translation>
    </message>
    <message>
        <source>&amp;System settings</source>
        <translation>系统设置(&amp;S)</translation>
    </message>
    <message>
        <source>Open the &amp;log folder</source>
        <translation>打开日志文件夹(&amp;L)</translation>
    </message>
    <message>
        <source>&amp;About</source>
        <translation>关于(&amp;A)</translation>
    </message>
    <message>
        <source>(not available in this version)</source>
        <translation>（此版本尚未提供）</translation>
    </message>
    <message>
        <source>Agent desk</source>
        <translation>坐席工作台</translation>
    </message>
    <message>
        <source>demo</source>
        <translation>演示</translation>
    </message>
    <message>
        <source>Welcome, {name}</source>
        <translation>欢迎，{name}</translation>
    </message>
    <message>
        <source>Open archives and panels from the menus above. Your window layout is saved when you close the program.</source>
        <translation>请从上方菜单打开档案和面板。关闭程序时会保存您的窗口布局。</translation>
    </message>
    <message>
        <source>User: {name} ({login}), {role}</source>
        <translation>用户：{name}（{login}），{role}</translation>
    </message>
    <message>
        <source>none</source>
        <translation>未设置</translation>
    </message>
    <message>
        <source>Seat: {seat}</source>
        <translation>座席：{seat}</translation>
    </message>
    <message>
        <source>Database: {db}</source>
        <translation>数据库：{db}</translation>
    </message>
    <message>
        <source>{feature} could not be loaded; see the log.</source>
        <translation>{feature} 无法加载，请查看日志。</translation>
    </message>
    <message>
        <source>Password changed.</source>
        <translation>密码已修改。</translation>
    </message>
    <message>
        <source>About</source>
        <translation>关于</translation>
    </message>
    <message>
        <source>Agent desk {version}
Call-center agent desktop.</source>
        <translation>坐席工作台 {version}
呼叫中心坐席桌面程序。</translation>
    </message>
</context>
<context>
    <name>MediaPanel</name>
    <message>
        <source>Media</source>
        <translation>媒体档案</translation>
    </message>
    <message>
        <source>Type</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>Medium</source>
        <translation>媒体</translation>
    </message>
    <message>
        <source>Type:</source>
        <translation>类型：</translation>
    </message>
    <message>
        <source>Medium:</source>
        <translation>媒体：</translation>
    </message>
</context>
<context>
    <name>PlacementsPanel</name>
    <message>
        <source>Media placements</source>
        <translation>媒体投放</translation>
    </message>
    <message>
        <source>Date</source>
        <translation>日期</translation>
    </message>
    <message>
        <source>Start</source>
        <translation>开始时间</translation>
    </message>
    <message>
        <source>Length (s)</source>
        <translation>时长（秒）</translation>
    </message>
    <message>
        <source>Medium</source>
        <translation>媒体</translation>
    </message>
    <message>
        <source>Variety</source>
        <translation>品种</translation>
    </message>
    <message>
        <source>Product</source>
        <translation>商品</translation>
    </message>
    <message>
        <source>Medium:</source>
        <translation>媒体：</translation>
    </message>
    <message>
        <source>Variety:</source>
        <translation>品种：</translation>
    </message>
    <message>
        <source>Product:</source>
        <translation>商品：</translation>
    </message>
    <message>
        <source>Date:</source>
        <translation>日期：</translation>
    </message>
    <message>
        <source>Start time:</source>
        <translation>开始时间：</translation>
    </message>
    <message>
        <source>Length (seconds):</source>
        <translation>时长（秒）：</translation>
    </message>
</context>
<context>
    <name>ProductsPanel</name>
    <message>
        <source>Products</source>
        <translation>商品档案</translation>
    </message>
    <message>
        <source>Product code</source>
        <translation>商品编码</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>Specification</source>
        <translation>规格</translation>
    </message>
    <message>
        <source>Variety</source>
        <translation>品种</translation>
    </message>
    <message>
        <source>Unit</source>
        <translation>单位</translation>
    </message>
    <message>
        <source>Short code</source>
        <translation>本地简码</translation>
    </message>
    <message>
        <source>Retail price</source>
        <translation>零售价</translation>
    </message>
    <message>
        <source>Active</source>
        <translation>启用</translation>
    </message>
    <message>
        <source>Name:</source>
        <translation>名称：</translation>
    </message>
    <message>
        <source>Specification:</source>
        <translation>规格：</translation>
    </message>
    <message>
        <source>Variety:</source>
        <translation>品种：</translation>
    </message>
    <message>
        <source>Unit:</source>
        <translation>单位：</translation>
    </message>
    <message>
        <source>Short code:</source>
        <translation>本地简码：</translation>
    </message>
    <message>
        <source>Retail price:</source>
        <translation>零售价：</translation>
    </message>
    <message>
        <source>Active:</source>
        <translation>启用：</translation>
    </message>
    <message>
        <source>Product code:</source>
        <translation>商品编码：</translation>
    </message>
</context>
<context>
    <name>RegionsPanel</name>
    <message>
        <source>Regions</source>
        <translation>区域档案</translation>
    </message>
    <message>
        <source>Region</source>
        <translation>区域</translation>
    </message>
    <message>
        <source>Province</source>
        <translation>省份</translation>
    </message>
    <message>
        <source>Area code</source>
        <translation>区号</translation>
    </message>
    <message>
        <source>Region:</source>
        <translation>区域：</translation>
    </message>
    <message>
        <source>Province:</source>
        <translation>省份：</translation>
    </message>
    <message>
        <source>Area code:</source>
        <translation>区号：</translation>
    </message>
</context>
<context>
    <name>Shell</name>
    <message>
        <source>The demo data module is not installed, so the demo opens an empty database with reference data only (a fallback).</source>
        <translation>未安装演示数据模块，演示将打开只含基础数据的空数据库（备用方案）。</translation>
    </message>
    <message>
        <source>Database</source>
        <translation>数据库</translation>
    </message>
    <message>
        <source>Retry</source>
        <translation>重试</translation>
    </message>
    <message>
        <source>Settings…</source>
        <translation>系统配置…</translation>
    </message>
    <message>
        <source>Quit</source>
        <translation>退出</translation>
    </message>
    <message>
        <source>Agent desk</source>
        <translation>坐席工作台</translation>
    </message>
    <message>
        <source>fallback: no demo data</source>
        <translation>备用：无演示数据</translation>
    </message>
</context>
<context>
    <name>SystemSettingsPanel</name>
    <message>
        <source>System settings</source>
        <translation>系统设置</translation>
    </message>
    <message>
        <source>Browse window (last X days):</source>
        <translation>浏览范围（近X天）：</translation>
    </message>
    <message>
        <source>Lead window after an advert (minutes):</source>
        <translation>广告结束后的进线归属时间（分钟）：</translation>
    </message>
    <message>
        <source>Time zone of the placement schedule:</source>
        <translation>投放时间表的时区：</translation>
    </message>
    <message>
        <source>Saved.</source>
        <translation>已保存。</translation>
    </message>
</context>
<context>
    <name>VarietiesPanel</name>
    <message>
        <source>Varieties</source>
        <translation>品种档案</translation>
    </message>
    <message>
        <source>Variety</source>
        <translation>品种</translation>
    </message>
    <message>
        <source>Active</source>
        <translation>启用</translation>
    </message>
    <message>
        <source>Variety:</source>
        <translation>品种：</translation>
    </message>
    <message>
        <source>Active:</source>
        <translation>启用：</translation>
    </message>
</context>
<context>
    <name>WorkstationSettingsDialog</name>
    <message>
        <source>Workstation settings</source>
        <translation>系统配置</translation>
    </message>
    <message>
        <source>Data source</source>
        <translation>数据源</translation>
    </message>
    <message>
        <source>This workstation</source>
        <translation>本机设置</translation>
    </message>
    <message>
        <source>Embedded SQLite file</source>
        <translation>本地 SQLite 数据库文件</translation>
    </message>
    <message>
        <source>Shared MySQL URL</source>
        <translation>共享 MySQL 数据库地址</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
    <message>
        <source>&amp;Test connection</source>
        <translation>测试连接(&amp;T)</translation>
    </message>
    <message>
        <source>CTI server host:</source>
        <translation>CTI 服务器地址：</translation>
    </message>
    <message>
        <source>CTI server port:</source>
        <translation>CTI 服务器端口：</translation>
    </message>
    <message>
        <source>Use TLS:</source>
        <translation>使用 TLS：</translation>
    </message>
    <message>
        <source>Seat number:</source>
        <translation>座席号码：</translation>
    </message>
    <message>
        <source>Groups:</source>
        <translation>组：</translation>
    </message>
    <message>
        <source>Default caller number:</source>
        <translation>默认主叫：</translation>
    </message>
    <message>
        <source>Temporary recording folder:</source>
        <translation>临时录音文件夹：</translation>
    </message>
    <message>
        <source>Language:</source>
        <translation>语言：</translation>
    </message>
    <message>
        <source>Read reminders aloud:</source>
        <translation>语音播报提醒：</translation>
    </message>
    <message>
        <source>ACD groups, separated by commas, e.g. 21, 22</source>
        <translation>接线组号，用逗号分隔，例如 21, 22</translation>
    </message>
    <message>
        <source>Database file</source>
        <translation>数据库文件</translation>
    </message>
    <message>
        <source>Temporary recording folder</source>
        <translation>临时录音文件夹</translation>
    </message>
    <message>
        <source>Connecting…</source>
        <translation>正在连接…</translation>
    </message>
    <message>
        <source>Failed.</source>
        <translation>连接失败。</translation>
    </message>
    <message>
        <source>Connected: {server}. The schema is up to date.</source>
        <translation>已连接：{server}。数据库结构为最新版本。</translation>
    </message>
    <message>
        <source>Enter the MySQL URL.</source>
        <translation>请输入 MySQL 数据库地址。</translation>
    </message>
    <message>
        <source>Enter group numbers separated by commas.</source>
        <translation>请输入组号，用逗号分隔。</translation>
    </message>
    <message>
        <source>Use digits only.</source>
        <translation>只能输入数字。</translation>
    </message>
    <message>
        <source>Enter the CTI server&apos;s host name or address.</source>
        <translation>请输入 CTI 服务器的主机名或地址。</translation>
    </message>
    <message>
        <source>The settings could not be saved ({error}). Check that the disk is not full.</source>
        <translation>无法保存设置（{error}）。请检查磁盘是否已满。</translation>
    </message>
</context>
<context>
    <name>errors</name>
    <message>
        <source>The database is empty: the administrator creates the schema with &quot;agent-admin init-db --url …&quot;.</source>
        <translation>数据库是空的：请管理员用 &quot;agent-admin init-db --url …&quot; 创建数据库结构。</translation>
    </message>
    <message>
        <source>The database is from an older version: the administrator upgrades it with &quot;agent-admin init-db --url …&quot;.</source>
        <translation>数据库来自旧版本：请管理员用 &quot;agent-admin init-db --url …&quot; 升级。</translation>
    </message>
    <message>
        <source>The database was upgraded by a newer version of this program: install that version on this workstation.</source>
        <translation>数据库已被本程序的新版本升级：请在本机安装该新版本。</translation>
    </message>
    <message>
        <source>This is not a database URL. Use a SQLite file or mysql+pymysql://user:password@host/database.</source>
        <translation>这不是有效的数据库地址。请使用 SQLite 文件或 mysql+pymysql://用户:密码@主机/数据库。</translation>
    </message>
    <message>
        <source>The database file {path} does not exist.</source>
        <translation>数据库文件 {path} 不存在。</translation>
    </message>
    <message>
        <source>The operation could not be completed.</source>
        <translation>操作未能完成。</translation>
    </message>
    <message>
        <source>The value is not valid.</source>
        <translation>输入的值无效。</translation>
    </message>
    <message>
        <source>The record no longer exists; refresh and try again.</source>
        <translation>该记录已不存在，请刷新后重试。</translation>
    </message>
    <message>
        <source>You do not have permission to do this. Ask an administrator.</source>
        <translation>您没有执行此操作的权限，请联系管理员。</translation>
    </message>
    <message>
        <source>Wrong login or password.</source>
        <translation>用户名或密码错误。</translation>
    </message>
    <message>
        <source>Too many wrong passwords. Try again in {minutes} minutes.</source>
        <translation>密码错误次数过多，请 {minutes} 分钟后再试。</translation>
    </message>
    <message>
        <source>This record already exists.</source>
        <translation>该记录已存在。</translation>
    </message>
    <message>
        <source>{who} changed this record at {when} after you opened it. Your changes were not saved; reload to see theirs, then make your edit again.</source>
        <translation>{who} 在您打开此记录后于 {when} 修改了它。您的修改未保存；请重新加载查看对方的修改，然后再次编辑。</translation>
    </message>
    <message>
        <source>Cannot reach the database ({detail}). Check the network or the data source in Settings, then try again. Nothing was changed.</source>
        <translation>无法连接数据库（{detail}）。请检查网络或系统配置中的数据源，然后重试。数据没有任何改动。</translation>
    </message>
    <message>
        <source>The database disk is full. Free some space (or ask the administrator), then try again. Nothing was changed.</source>
        <translation>数据库磁盘已满。请释放空间（或联系管理员）后重试。数据没有任何改动。</translation>
    </message>
    <message>
        <source>The database schema ({current}) does not match this program ({head}). {advice}</source>
        <translation>数据库结构（{current}）与本程序（{head}）不匹配。{advice}</translation>
    </message>
    <message>
        <source>The password needs at least {n} characters.</source>
        <translation>密码至少需要 {n} 个字符。</translation>
    </message>
    <message>
        <source>Choose a password other than the default.</source>
        <translation>请设置一个不同于默认密码的新密码。</translation>
    </message>
    <message>
        <source>The current password is wrong.</source>
        <translation>当前密码错误。</translation>
    </message>
    <message>
        <source>The login must be 1-32 letters or digits.</source>
        <translation>员工号须为 1-32 位字母或数字。</translation>
    </message>
    <message>
        <source>The name is required.</source>
        <translation>姓名不能为空。</translation>
    </message>
    <message>
        <source>The login {login} is already taken.</source>
        <translation>员工号 {login} 已被使用。</translation>
    </message>
    <message>
        <source>You cannot close or ban your own account.</source>
        <translation>不能关闭或禁止自己的账号。</translation>
    </message>
    <message>
        <source>There is no department named {name}.</source>
        <translation>没有名为 {name} 的部门。</translation>
    </message>
    <message>
        <source>Enter a whole number from {lo} to {hi}.</source>
        <translation>请输入 {lo} 到 {hi} 之间的整数。</translation>
    </message>
    <message>
        <source>Unknown time zone; use a name like Asia/Shanghai.</source>
        <translation>未知时区，请使用 Asia/Shanghai 这样的名称。</translation>
    </message>
    <message>
        <source>This field is required.</source>
        <translation>此项必填。</translation>
    </message>
    <message>
        <source>At most {n} characters.</source>
        <translation>最多 {n} 个字符。</translation>
    </message>
    <message>
        <source>The retail price is required.</source>
        <translation>零售价必须填写。</translation>
    </message>
    <message>
        <source>Enter a price like 398 or 398.50.</source>
        <translation>请输入 398 或 398.50 这样的价格。</translation>
    </message>
    <message>
        <source>The price must be greater than zero.</source>
        <translation>价格必须大于零。</translation>
    </message>
    <message>
        <source>{value} is already in use.</source>
        <translation>{value} 已被使用。</translation>
    </message>
    <message>
        <source>This record is still in use and cannot be deleted. Deactivate it instead.</source>
        <translation>该记录仍在使用中，不能删除。请改为停用。</translation>
    </message>
    <message>
        <source>An area code is 0 followed by 2 or 3 digits, e.g. 0571.</source>
        <translation>区号为 0 加 2 到 3 位数字，例如 0571。</translation>
    </message>
    <message>
        <source>Use digits only.</source>
        <translation>只能输入数字。</translation>
    </message>
    <message>
        <source>Use letters and digits only.</source>
        <translation>只能输入字母和数字。</translation>
    </message>
    <message>
        <source>Choose a variety from the list.</source>
        <translation>请从列表中选择品种。</translation>
    </message>
    <message>
        <source>The length is 1 to 86400 seconds.</source>
        <translation>时长应为 1 到 86400 秒。</translation>
    </message>
    <message>
        <source>Choose a medium from the list.</source>
        <translation>请从列表中选择媒体。</translation>
    </message>
    <message>
        <source>The product must be of the chosen variety.</source>
        <translation>商品必须属于所选品种。</translation>
    </message>
    <message>
        <source>Unknown setting {key}.</source>
        <translation>未知的设置项 {key}。</translation>
    </message>
    <message>
        <source>The database already holds {n} customers; demo data goes into a new, empty database. Nothing was changed.</source>
        <translation>数据库中已有 {n} 个客户；演示数据只能装入新的空数据库。未做任何更改。</translation>
    </message>
    <message>
        <source>Digits only, at most 32.</source>
        <translation>只能输入数字，最多 32 位。</translation>
    </message>
    <message>
        <source>A group number is 1-8 digits.</source>
        <translation>组号为 1 到 8 位数字。</translation>
    </message>
    <message>
        <source>The ring timeout is 1 to 60 seconds.</source>
        <translation>振铃超时为 1 到 60 秒。</translation>
    </message>
    <message>
        <source>The queue length is 0 to 10000.</source>
        <translation>排队长度为 0 到 10000。</translation>
    </message>
    <message>
        <source>Wrap-up is 0 to 3600 seconds.</source>
        <translation>话后整理时间为 0 到 3600 秒。</translation>
    </message>
    <message>
        <source>A group cannot overflow to itself.</source>
        <translation>组不能溢出到自身。</translation>
    </message>
    <message>
        <source>There is no group {number}.</source>
        <translation>没有组 {number}。</translation>
    </message>
    <message>
        <source>There is no medium named {name}.</source>
        <translation>没有名为 {name} 的媒体。</translation>
    </message>
    <message>
        <source>Duplicate record: {phone} already belongs to {name} ({registration_no}).</source>
        <translation>资料重复：{phone} 已属于客户 {name}（登记编号 {registration_no}）。</translation>
    </message>
    <message>
        <source>Give at least one phone number.</source>
        <translation>请至少填写一个电话号码。</translation>
    </message>
    <message>
        <source>{phone} is not a mobile number (11 digits starting with 1).</source>
        <translation>{phone} 不是手机号码（应为以 1 开头的 11 位数字）。</translation>
    </message>
    <message>
        <source>Give the landline with its area code, e.g. 0571-88001234.</source>
        <translation>固定电话请带区号，例如 0571-88001234。</translation>
    </message>
</context>
<context>
    <name>i18n</name>
    <message>
        <source>System default</source>
        <translation>跟随系统</translation>
    </message>
</context>
<context>
    <name>labels</name>
    <message>
        <source>Super administrator</source>
        <translation>超级管理员</translation>
    </message>
    <message>
        <source>Administrator</source>
        <translation>管理员</translation>
    </message>
    <message>
        <source>Operator</source>
        <translation>操作员</translation>
    </message>
    <message>
        <source>Active</source>
        <translation>正常</translation>
    </message>
    <message>
        <source>Closed</source>
        <translation>已关闭</translation>
    </message>
    <message>
        <source>Login banned</source>
        <translation>禁止登陆</translation>
    </message>
    <message>
        <source>Statistics</source>
        <translation>统计</translation>
    </message>
    <message>
        <source>Remote access</source>
        <translation>远程访问</translation>
    </message>
    <message>
        <source>Dispatch feedback</source>
        <translation>出库反馈</translation>
    </message>
    <message>
        <source>Delete withdrawn orders</source>
        <translation>删撤销单</translation>
    </message>
    <message>
        <source>Withdraw erroneous orders</source>
        <translation>错单撤销</translation>
    </message>
    <message>
        <source>Cancel orders</source>
        <translation>订单取消</translation>
    </message>
    <message>
        <source>Monitoring</source>
        <translation>监控</translation>
    </message>
    <message>
        <source>Recordings</source>
        <translation>录音</translation>
    </message>
    <message>
        <source>Export</source>
        <translation>导出</translation>
    </message>
    <message>
        <source>Archive maintenance</source>
        <translation>档案维护</translation>
    </message>
    <message>
        <source>Customer maintenance</source>
        <translation>客户维护</translation>
    </message>
    <message>
        <source>Missed-call allocation</source>
        <translation>未接分配</translation>
    </message>
    <message>
        <source>Notices and broadcasts</source>
        <translation>发送通告</translation>
    </message>
</context>
</TS>
