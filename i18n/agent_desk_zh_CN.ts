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
        <name>CallConsolePanel</name>
        <message>
            <source>Call console</source>
            <translation>前台管理</translation>
        </message>
        <message>
            <source>Ready (F4)</source>
            <translation>空闲 (F4)</translation>
        </message>
        <message>
            <source>Busy (F5)</source>
            <translation>置忙 (F5)</translation>
        </message>
        <message>
            <source>Caller</source>
            <translation>主叫号码</translation>
        </message>
        <message>
            <source>Dialled number</source>
            <translation>源被叫</translation>
        </message>
        <message>
            <source>Answer (F2)</source>
            <translation>接听 (F2)</translation>
        </message>
        <message>
            <source>Hang up (F3)</source>
            <translation>挂机 (F3)</translation>
        </message>
        <message>
            <source>Transfer…</source>
            <translation>转接…</translation>
        </message>
        <message>
            <source>Notes on this call (saved to the customer's contact log)</source>
            <translation>本次通话备注（保存到客户的联系情况）</translation>
        </message>
        <message>
            <source>Save</source>
            <translation>保存</translation>
        </message>
        <message>
            <source>Link: {state}</source>
            <translation>连接：{state}</translation>
        </message>
        <message>
            <source>Logged in</source>
            <translation>已登录</translation>
        </message>
        <message>
            <source>Not logged in</source>
            <translation>未登录</translation>
        </message>
        <message>
            <source>Disconnect</source>
            <translation>断开</translation>
        </message>
        <message>
            <source>Connect</source>
            <translation>连接</translation>
        </message>
        <message>
            <source>Link: {detail}</source>
            <translation>连接：{detail}</translation>
        </message>
        <message>
            <source>{verb}: {text}</source>
            <translation>{verb}：{text}</translation>
        </message>
        <message>
            <source>Resume</source>
            <translation>恢复</translation>
        </message>
        <message>
            <source>Hold</source>
            <translation>保持</translation>
        </message>
        <message>
            <source>CTI link not connected</source>
            <translation>CTI 未连接</translation>
        </message>
        <message>
            <source>Notes saved.</source>
            <translation>备注已保存。</translation>
        </message>
        <message>
            <source>No customer is open for this call: register or pick the customer first.</source>
            <translation>本次通话尚未对应客户：请先登记或选择客户。</translation>
        </message>
        <message>
            <source>Not connecting: the CTI server's certificate has CHANGED (SHA-256 {now}, trusted before: {pinned}). Another machine may be posing as the server. If the administrator replaced the certificate, clear the remembered one in Workstation settings.</source>
            <translation>不连接：CTI 服务器的证书已变更（SHA-256 {now}，原先信任的：{pinned}）。可能有其他机器冒充服务器。如果是管理员更换了证书，请在系统配置中清除已信任的证书。</translation>
        </message>
        <message>
            <source>Not connecting: the CTI server's certificate is not trusted or the server does not speak TLS (tls_failed).</source>
            <translation>不连接：CTI 服务器的证书不受信任，或服务器未使用 TLS（tls_failed）。</translation>
        </message>
        <message>
            <source>TLS, server certificate SHA-256 {fingerprint}</source>
            <translation>已加密（TLS），服务器证书 SHA-256 {fingerprint}</translation>
        </message>
        <message>
            <source>Plaintext: not encrypted</source>
            <translation>明文：未加密</translation>
        </message>
    </context>
    <context>
        <name>CallQueryPanel</name>
        <message>
            <source>Call query</source>
            <translation>通话查询</translation>
        </message>
        <message>
            <source>Time</source>
            <translation>时间</translation>
        </message>
        <message>
            <source>Direction</source>
            <translation>方向</translation>
        </message>
        <message>
            <source>Caller</source>
            <translation>主叫号码</translation>
        </message>
        <message>
            <source>Dialled number</source>
            <translation>源被叫</translation>
        </message>
        <message>
            <source>Seat</source>
            <translation>主被叫</translation>
        </message>
        <message>
            <source>Agent</source>
            <translation>话务员</translation>
        </message>
        <message>
            <source>Talk time</source>
            <translation>时长</translation>
        </message>
        <message>
            <source>Result</source>
            <translation>结果</translation>
        </message>
        <message>
            <source>Medium</source>
            <translation>媒体</translation>
        </message>
        <message>
            <source>Region</source>
            <translation>区域</translation>
        </message>
        <message>
            <source>Customer</source>
            <translation>客户</translation>
        </message>
        <message>
            <source>Recording</source>
            <translation>录音</translation>
        </message>
        <message>
            <source>From</source>
            <translation>从</translation>
        </message>
        <message>
            <source>To</source>
            <translation>到</translation>
        </message>
        <message>
            <source>Type</source>
            <translation>类型</translation>
        </message>
        <message>
            <source>e.g. 4006000000</source>
            <translation>例如 4006000000</translation>
        </message>
        <message>
            <source>e.g. 8001</source>
            <translation>例如 8001</translation>
        </message>
        <message>
            <source>&amp;Search</source>
            <translation>查找(&amp;S)</translation>
        </message>
        <message>
            <source>All</source>
            <translation>全部</translation>
        </message>
        <message>
            <source>Inbound</source>
            <translation>呼入</translation>
        </message>
        <message>
            <source>Outbound</source>
            <translation>呼出</translation>
        </message>
        <message>
            <source>Valid</source>
            <translation>有效</translation>
        </message>
        <message>
            <source>Invalid</source>
            <translation>无效</translation>
        </message>
        <message>
            <source>Sale</source>
            <translation>销售</translation>
        </message>
        <message>
            <source>Consultation</source>
            <translation>咨询</translation>
        </message>
        <message>
            <source>Select all</source>
            <translation>全选</translation>
        </message>
        <message>
            <source>Select none</source>
            <translation>取消</translation>
        </message>
        <message>
            <source>Invert selection</source>
            <translation>反选</translation>
        </message>
        <message>
            <source>Play</source>
            <translation>播放</translation>
        </message>
        <message>
            <source>Export recordings…</source>
            <translation>录音导出…</translation>
        </message>
        <message>
            <source>Export to Excel…</source>
            <translation>导出 Excel…</translation>
        </message>
        <message>
            <source>Searching…</source>
            <translation>正在查找…</translation>
        </message>
        <message numerus="yes">
            <source>%n call(s) shown.</source>
            <translation>
                <numerusform>显示 %n 条通话记录。</numerusform>
            </translation>
        </message>
        <message>
            <source>Scroll down for more.</source>
            <translation>向下滚动可显示更多。</translation>
        </message>
        <message>
            <source>Choose a call with a recording (♪).</source>
            <translation>请选择一条有录音（♪）的通话。</translation>
        </message>
        <message>
            <source>Export recordings to</source>
            <translation>录音导出到</translation>
        </message>
        <message>
            <source>Export the calls to Excel</source>
            <translation>通话记录导出为 Excel</translation>
        </message>
        <message>
            <source>Excel workbook (*.xlsx)</source>
            <translation>Excel 工作簿 (*.xlsx)</translation>
        </message>
        <message>
            <source>Exporting recording {i} of {n}…</source>
            <translation>正在导出录音 {i}/{n}…</translation>
        </message>
        <message numerus="yes">
            <source>%n recording(s) exported to {folder}.</source>
            <translation>
                <numerusform>已导出 %n 个录音到 {folder}。</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>%n could not be fetched.</source>
            <translation>
                <numerusform>%n 个无法获取。</numerusform>
            </translation>
        </message>
        <message>
            <source>Not exported: {error}</source>
            <translation>未导出：{error}</translation>
        </message>
        <message numerus="yes">
            <source>%n call(s) exported to {path}.</source>
            <translation>
                <numerusform>已导出 %n 条通话记录到 {path}。</numerusform>
            </translation>
        </message>
        <message>
            <source>More conditions</source>
            <translation>更多条件</translation>
        </message>
        <message numerus="yes">
            <source>More conditions (%n set)</source>
            <translation>
                <numerusform>更多条件（已设 %n 项）</numerusform>
            </translation>
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
        <name>ChartView</name>
        <message>
            <source>No data</source>
            <translation>没有数据</translation>
        </message>
    </context>
    <context>
        <name>ContactsTab</name>
        <message>
            <source>Time</source>
            <translation>时间</translation>
        </message>
        <message>
            <source>Channel</source>
            <translation>方式</translation>
        </message>
        <message>
            <source>Staff</source>
            <translation>员工</translation>
        </message>
        <message>
            <source>Content</source>
            <translation>联系内容</translation>
        </message>
        <message>
            <source>Demand</source>
            <translation>需求类型</translation>
        </message>
        <message>
            <source>Variety</source>
            <translation>品种</translation>
        </message>
        <message>
            <source>Demand details</source>
            <translation>需求信息</translation>
        </message>
        <message>
            <source>(demand type)</source>
            <translation>（需求类型）</translation>
        </message>
        <message>
            <source>Contact</source>
            <translation>联系</translation>
        </message>
        <message>
            <source>Co&amp;ntent</source>
            <translation>联系内容(&amp;N)</translation>
        </message>
        <message>
            <source>Our staff</source>
            <translation>我方人员</translation>
        </message>
        <message>
            <source>New contact</source>
            <translation>增加</translation>
        </message>
        <message>
            <source>Save contact</source>
            <translation>保存联系</translation>
        </message>
        <message>
            <source>(variety)</source>
            <translation>（需求品种）</translation>
        </message>
        <message>
            <source>Contact saved.</source>
            <translation>联系已保存。</translation>
        </message>
        <message>
            <source>Save the contact (Return in its fields)</source>
            <translation>保存联系（在输入框中按回车亦可）</translation>
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
        <name>CtiBridge</name>
        <message>
            <source>CTI link not connected</source>
            <translation>CTI 未连接</translation>
        </message>
        <message>
            <source>Not possible in the present state of the agent or the call.</source>
            <translation>座席或通话的当前状态下不能进行此操作。</translation>
        </message>
        <message>
            <source>You are not permitted to do this.</source>
            <translation>您没有进行此操作的权限。</translation>
        </message>
        <message>
            <source>The CTI link dropped; try again when it is back.</source>
            <translation>CTI 连接已断开，请在恢复后重试。</translation>
        </message>
        <message>
            <source>The CTI server did not answer in time.</source>
            <translation>CTI 服务器未及时响应。</translation>
        </message>
        <message>
            <source>The call has already ended.</source>
            <translation>该通话已经结束。</translation>
        </message>
        <message>
            <source>Not accepted: {detail}</source>
            <translation>未被接受：{detail}</translation>
        </message>
        <message>
            <source>There is no call.</source>
            <translation>当前没有通话。</translation>
        </message>
    </context>
    <context>
        <name>CustomerDirectoryPanel</name>
        <message>
            <source>Reg. no.</source>
            <translation>登记编号</translation>
        </message>
        <message>
            <source>Customer name</source>
            <translation>客户名</translation>
        </message>
        <message>
            <source>Mobile</source>
            <translation>手机</translation>
        </message>
        <message>
            <source>Phone</source>
            <translation>电话</translation>
        </message>
        <message>
            <source>Address</source>
            <translation>地址</translation>
        </message>
        <message>
            <source>Region</source>
            <translation>区域</translation>
        </message>
        <message>
            <source>Class</source>
            <translation>类型</translation>
        </message>
        <message>
            <source>Owner</source>
            <translation>所属</translation>
        </message>
        <message>
            <source>Registered</source>
            <translation>登记时间</translation>
        </message>
        <message>
            <source>Customer directory</source>
            <translation>客户目录</translation>
        </message>
        <message>
            <source>Last</source>
            <translation>近</translation>
        </message>
        <message>
            <source> days</source>
            <translation> 天</translation>
        </message>
        <message>
            <source>Refresh</source>
            <translation>刷新</translation>
        </message>
        <message>
            <source>Search</source>
            <translation>查找</translation>
        </message>
        <message>
            <source>Advanced…</source>
            <translation>档案查询…</translation>
        </message>
        <message>
            <source>Search text</source>
            <translation>查找内容</translation>
        </message>
        <message>
            <source>last {days} day(s)</source>
            <translation>近 {days} 天</translation>
        </message>
        <message>
            <source>Type what to search for.</source>
            <translation>请输入要查找的内容。</translation>
        </message>
        <message>
            <source>search</source>
            <translation>查找</translation>
        </message>
        <message>
            <source>query</source>
            <translation>查询</translation>
        </message>
        <message>
            <source>, more below</source>
            <translation>，向下滚动加载更多</translation>
        </message>
        <message numerus="yes">
            <source>%n customer(s)</source>
            <translation>
                <numerusform>%n 个客户</numerusform>
            </translation>
        </message>
    </context>
    <context>
        <name>CustomerMaintenancePanel</name>
        <message>
            <source>Customer maintenance</source>
            <translation>客户维护</translation>
        </message>
        <message>
            <source>Order no.</source>
            <translation>单号</translation>
        </message>
        <message>
            <source>Date</source>
            <translation>日期</translation>
        </message>
        <message>
            <source>Amount</source>
            <translation>金额</translation>
        </message>
        <message>
            <source>Status</source>
            <translation>状态</translation>
        </message>
        <message>
            <source>Confirmed</source>
            <translation>物流确认</translation>
        </message>
        <message>
            <source>Variety</source>
            <translation>品种</translation>
        </message>
        <message>
            <source>Due</source>
            <translation>提醒时间</translation>
        </message>
        <message>
            <source>Done</source>
            <translation>回</translation>
        </message>
        <message>
            <source>Set by</source>
            <translation>设置人</translation>
        </message>
        <message>
            <source>Note</source>
            <translation>备注</translation>
        </message>
        <message>
            <source>Search text</source>
            <translation>查找内容</translation>
        </message>
        <message>
            <source>Emplo&amp;yee</source>
            <translation>员工(&amp;Y)</translation>
        </message>
        <message>
            <source>Search</source>
            <translation>查找</translation>
        </message>
        <message>
            <source>Set owner</source>
            <translation>设为所属人员</translation>
        </message>
        <message>
            <source>Set callback agent</source>
            <translation>设为回访人员</translation>
        </message>
        <message>
            <source>Transfer</source>
            <translation>转交</translation>
        </message>
        <message>
            <source>Remove selected orders</source>
            <translation>清除所选订单</translation>
        </message>
        <message>
            <source>Cancel selected reminders</source>
            <translation>取消所选提醒</translation>
        </message>
        <message>
            <source>Orders of the current customer</source>
            <translation>当前客户的订单</translation>
        </message>
        <message>
            <source>Reminders of the current customer</source>
            <translation>当前客户的提醒</translation>
        </message>
        <message>
            <source>Type what to search for.</source>
            <translation>请输入要查找的内容。</translation>
        </message>
        <message>
            <source>Select customers and an employee first.</source>
            <translation>请先选择客户和员工。</translation>
        </message>
        <message>
            <source>{n} customer(s) changed.</source>
            <translation>已修改 {n} 个客户。</translation>
        </message>
        <message>
            <source>Make {who} the owner of {n} customer(s)?</source>
            <translation>将 {n} 个客户的所属人员改为 {who}？</translation>
        </message>
        <message>
            <source>Make {who} the callback agent of {n} customer(s)?</source>
            <translation>将 {n} 个客户的回访人员改为 {who}？</translation>
        </message>
        <message>
            <source>Transfer {n} customer(s) to {who}?</source>
            <translation>将 {n} 个客户转交给 {who}？</translation>
        </message>
        <message>
            <source>Select the duplicate orders first.</source>
            <translation>请先选择重复的订单。</translation>
        </message>
        <message>
            <source>Remove {n} duplicate order(s)? Only unconfirmed or cancelled orders can be removed.</source>
            <translation>清除 {n} 张重复订单？只能清除未物流确认或已取消的订单。</translation>
        </message>
        <message>
            <source>{n} order(s) removed.</source>
            <translation>已清除 {n} 张订单。</translation>
        </message>
        <message>
            <source>Select the reminders first.</source>
            <translation>请先选择提醒。</translation>
        </message>
        <message>
            <source>Cancel {n} reminder(s)?</source>
            <translation>取消 {n} 条提醒？</translation>
        </message>
        <message>
            <source>{n} reminder(s) cancelled.</source>
            <translation>已取消 {n} 条提醒。</translation>
        </message>
    </context>
    <context>
        <name>CustomerQueryDialog</name>
        <message>
            <source>Customer query</source>
            <translation>客户档案查询</translation>
        </message>
        <message>
            <source>Registration &amp;date</source>
            <translation>登记日期(&amp;D)</translation>
        </message>
        <message>
            <source>Registration &amp;time</source>
            <translation>登记时间(&amp;T)</translation>
        </message>
        <message>
            <source>&amp;Region</source>
            <translation>区域(&amp;R)</translation>
        </message>
        <message>
            <source>&amp;Variety</source>
            <translation>品种(&amp;V)</translation>
        </message>
        <message>
            <source>Sta&amp;ff</source>
            <translation>员工(&amp;F)</translation>
        </message>
        <message>
            <source>to</source>
            <translation>至</translation>
        </message>
        <message>
            <source>Sale / consultation</source>
            <translation>销售/咨询</translation>
        </message>
        <message>
            <source>Class</source>
            <translation>类型</translation>
        </message>
        <message>
            <source>Source</source>
            <translation>来源</translation>
        </message>
        <message>
            <source>Find</source>
            <translation>查找</translation>
        </message>
        <message>
            <source>&amp;Search</source>
            <translation>查找(&amp;S)</translation>
        </message>
        <message>
            <source>Sale (has orders)</source>
            <translation>销售</translation>
        </message>
        <message>
            <source>Consultation only</source>
            <translation>咨询</translation>
        </message>
        <message>
            <source>All</source>
            <translation>全部</translation>
        </message>
        <message>
            <source>(no text criterion)</source>
            <translation>（不按内容查找）</translation>
        </message>
        <message>
            <source>Choose which field the text is searched in.</source>
            <translation>请选择在哪一栏中查找。</translation>
        </message>
        <message>
            <source>customer query</source>
            <translation>客户档案查询</translation>
        </message>
    </context>
    <context>
        <name>CustomerRecordPanel</name>
        <message>
            <source>Customer record — {name} · {no}</source>
            <translation>客户资料 — {name} · {no}</translation>
        </message>
        <message>
            <source>Customer record — new customer</source>
            <translation>客户资料 — 新客户</translation>
        </message>
        <message>
            <source>Customer record</source>
            <translation>客户资料</translation>
        </message>
        <message>
            <source>&amp;Profile</source>
            <translation>客户资料(&amp;P)</translation>
        </message>
        <message>
            <source>C&amp;ontacts</source>
            <translation>联系(&amp;O)</translation>
        </message>
        <message>
            <source>Rem&amp;inders</source>
            <translation>提醒(&amp;I)</translation>
        </message>
        <message>
            <source>Sal&amp;es</source>
            <translation>销售情况(&amp;E)</translation>
        </message>
        <message>
            <source>&amp;Feedback</source>
            <translation>意见及建议(&amp;F)</translation>
        </message>
        <message>
            <source>Sa&amp;ve</source>
            <translation>保存(&amp;V)</translation>
        </message>
        <message>
            <source>Sell (F7)</source>
            <translation>销售(F7)</translation>
        </message>
        <message>
            <source>Re&amp;mind</source>
            <translation>提醒(&amp;M)</translation>
        </message>
        <message>
            <source>Dial</source>
            <translation>拨号</translation>
        </message>
        <message>
            <source>Save the profile (Ctrl+S)</source>
            <translation>保存客户资料 (Ctrl+S)</translation>
        </message>
        <message>
            <source>Open e&amp;xisting record</source>
            <translation>打开已有资料(&amp;X)</translation>
        </message>
        <message>
            <source>Customer {no} registered.</source>
            <translation>客户 {no} 已登记。</translation>
        </message>
        <message>
            <source>Saved.</source>
            <translation>已保存。</translation>
        </message>
        <message>
            <source>Save the customer first, then sell.</source>
            <translation>请先保存客户资料，再下销售单。</translation>
        </message>
        <message>
            <source>Save the customer first, then set a reminder.</source>
            <translation>请先保存客户资料，再设置提醒。</translation>
        </message>
        <message>
            <source>This customer has no phone number.</source>
            <translation>该客户没有电话号码。</translation>
        </message>
        <message>
            <source>CTI link not connected</source>
            <translation>CTI 未连接</translation>
        </message>
        <message>
            <source>Dialling {number}…</source>
            <translation>正在拨打 {number}…</translation>
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
        <name>DialPad</name>
        <message>
            <source>Number to dial</source>
            <translation>拨打号码</translation>
        </message>
        <message>
            <source>Dial</source>
            <translation>拨号</translation>
        </message>
        <message>
            <source>Keypad</source>
            <translation>拨号盘</translation>
        </message>
        <message>
            <source>Delete the last digit</source>
            <translation>删除最后一位</translation>
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
        <name>ExcelExport</name>
        <message>
            <source>Export to Excel</source>
            <translation>导出到 Excel</translation>
        </message>
        <message>
            <source>Excel workbook (*.xlsx)</source>
            <translation>Excel 工作簿 (*.xlsx)</translation>
        </message>
        <message>
            <source>Preparing {name}…</source>
            <translation>正在准备 {name}…</translation>
        </message>
        <message>
            <source>Cancel</source>
            <translation>取消</translation>
        </message>
        <message numerus="yes">
            <source>%n row(s) written…</source>
            <translation>
                <numerusform>已写入 %n 行…</numerusform>
            </translation>
        </message>
        <message>
            <source>Cancelling…</source>
            <translation>正在取消…</translation>
        </message>
        <message numerus="yes">
            <source>%n row(s) exported to {path}.</source>
            <translation>
                <numerusform>已导出 %n 行到 {path}。</numerusform>
            </translation>
        </message>
        <message>
            <source>The export failed: {error}. No file was written.</source>
            <translation>导出失败：{error}。未写入任何文件。</translation>
        </message>
        <message>
            <source>The export was cancelled. No file was written.</source>
            <translation>导出已取消，未写入任何文件。</translation>
        </message>
    </context>
    <context>
        <name>FeedbackTab</name>
        <message>
            <source>Time</source>
            <translation>时间</translation>
        </message>
        <message>
            <source>Staff</source>
            <translation>员工</translation>
        </message>
        <message>
            <source>Opinion or suggestion</source>
            <translation>意见及建议</translation>
        </message>
        <message>
            <source>The customer's opinion or suggestion</source>
            <translation>客户的意见或建议</translation>
        </message>
        <message>
            <source>Add</source>
            <translation>增加</translation>
        </message>
        <message>
            <source>Add the opinion or suggestion</source>
            <translation>增加意见及建议</translation>
        </message>
        <message>
            <source>Refresh</source>
            <translation>刷新</translation>
        </message>
    </context>
    <context>
        <name>GlanceLabel</name>
        <message>
            <source>(not confirmed)</source>
            <translation>（未物流确认）</translation>
        </message>
        <message>
            <source>none</source>
            <translation>无</translation>
        </message>
        <message numerus="yes">
            <source>Recent orders (%n in all)</source>
            <translation>
                <numerusform>最近订单（共 %n 张）</numerusform>
            </translation>
        </message>
        <message>
            <source>Open reminders</source>
            <translation>未回提醒</translation>
        </message>
        <message>
            <source>Last contacts</source>
            <translation>最近联系</translation>
        </message>
    </context>
    <context>
        <name>InternalNumbersPanel</name>
        <message>
            <source>Internal numbers</source>
            <translation>集团电话</translation>
        </message>
        <message>
            <source>Number</source>
            <translation>号码</translation>
        </message>
        <message>
            <source>Note</source>
            <translation>备注</translation>
        </message>
        <message>
            <source>Changed by</source>
            <translation>修改人</translation>
        </message>
        <message>
            <source>&amp;New</source>
            <translation>新增(&amp;N)</translation>
        </message>
        <message>
            <source>&amp;Save</source>
            <translation>保存(&amp;S)</translation>
        </message>
        <message>
            <source>&amp;Delete</source>
            <translation>删除(&amp;D)</translation>
        </message>
        <message>
            <source>Saved {digits}.</source>
            <translation>已保存 {digits}。</translation>
        </message>
        <message>
            <source>Choose the number to delete.</source>
            <translation>请选择要删除的号码。</translation>
        </message>
        <message>
            <source>Deleted {digits}.</source>
            <translation>已删除 {digits}。</translation>
        </message>
        <message>
            <source>System</source>
            <translation>系统</translation>
        </message>
        <message>
            <source>Read-only: internal numbers are maintained by administrators.</source>
            <translation>只读：集团电话由管理员维护。</translation>
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
            <source>Database {db} unreachable: trying again…</source>
            <translation>数据库 {db} 无法连接：正在重试…</translation>
        </message>
        <message>
            <source>The database can be reached again; repeat what failed.</source>
            <translation>数据库已恢复连接；请重做刚才失败的操作。</translation>
        </message>
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
        <message>
            <source>Database: {db}, through {server}</source>
            <translation>数据库：{db}，当前经由 {server}</translation>
        </message>
        <message>
            <source>Database server {old} stopped answering; the desk now works through {new}. Repeat anything that failed; your open forms are kept.</source>
            <translation>数据库服务器 {old} 已停止响应，现已切换到 {new}。请重做刚才失败的操作；已打开的表单内容都还在。</translation>
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
        <name>MissedCallsPanel</name>
        <message>
            <source>Missed calls</source>
            <translation>未接来电</translation>
        </message>
        <message numerus="yes">
            <source>%n missed call(s).</source>
            <translation>
                <numerusform>%n 个未接来电。</numerusform>
            </translation>
        </message>
        <message>
            <source>Time</source>
            <translation>时间</translation>
        </message>
        <message>
            <source>Caller</source>
            <translation>主叫号码</translation>
        </message>
        <message>
            <source>Dialled number</source>
            <translation>源被叫</translation>
        </message>
        <message>
            <source>Waited</source>
            <translation>等待时长</translation>
        </message>
        <message>
            <source>Result</source>
            <translation>结果</translation>
        </message>
        <message>
            <source>Customer</source>
            <translation>客户</translation>
        </message>
        <message>
            <source>Allocated to</source>
            <translation>分配给</translation>
        </message>
        <message>
            <source>Called back</source>
            <translation>已回拨</translation>
        </message>
        <message>
            <source>From</source>
            <translation>从</translation>
        </message>
        <message>
            <source>To</source>
            <translation>到</translation>
        </message>
        <message>
            <source>All missed calls</source>
            <translation>全部未接来电</translation>
        </message>
        <message>
            <source>Allocated to me</source>
            <translation>分配给我的</translation>
        </message>
        <message>
            <source>Include called back</source>
            <translation>包括已回拨</translation>
        </message>
        <message>
            <source>&amp;Refresh</source>
            <translation>刷新(&amp;R)</translation>
        </message>
        <message>
            <source>Allocate the ticked calls to</source>
            <translation>将选中的来电分配给</translation>
        </message>
        <message>
            <source>Allocate</source>
            <translation>分配</translation>
        </message>
        <message>
            <source>Call back</source>
            <translation>回拨</translation>
        </message>
        <message>
            <source>Tick the calls and choose an agent first.</source>
            <translation>请先勾选来电并选择话务员。</translation>
        </message>
        <message numerus="yes">
            <source>%n call(s) allocated to {login}.</source>
            <translation>
                <numerusform>已将 %n 个来电分配给 {login}。</numerusform>
            </translation>
        </message>
        <message>
            <source>Choose the call to return.</source>
            <translation>请选择要回拨的来电。</translation>
        </message>
        <message>
            <source>CTI link not connected</source>
            <translation>CTI 未连接</translation>
        </message>
        <message>
            <source>Call back (Enter)</source>
            <translation>回拨 (Enter)</translation>
        </message>
        <message>
            <source>Dial the chosen caller: Enter on the row</source>
            <translation>回拨选中的来电：在该行按 Enter</translation>
        </message>
    </context>
    <context>
        <name>OrderDialog</name>
        <message>
            <source>Sales order</source>
            <translation>销售内容</translation>
        </message>
        <message>
            <source>New order</source>
            <translation>新客户订单</translation>
        </message>
        <message>
            <source>Customer</source>
            <translation>客户</translation>
        </message>
        <message>
            <source>Delivery</source>
            <translation>送货情况</translation>
        </message>
        <message>
            <source>Product</source>
            <translation>产品</translation>
        </message>
        <message>
            <source>Unit price</source>
            <translation>单价</translation>
        </message>
        <message>
            <source>Qty</source>
            <translation>数量</translation>
        </message>
        <message>
            <source>Kind</source>
            <translation>销售手段</translation>
        </message>
        <message>
            <source>Trial</source>
            <translation>试</translation>
        </message>
        <message>
            <source>Amount</source>
            <translation>金额</translation>
        </message>
        <message>
            <source>&amp;Add line</source>
            <translation>增加(&amp;A)</translation>
        </message>
        <message>
            <source>&amp;Delete line</source>
            <translation>删除(&amp;D)</translation>
        </message>
        <message>
            <source>C&amp;lear</source>
            <translation>清除(&amp;L)</translation>
        </message>
        <message>
            <source>Deli&amp;very</source>
            <translation>配送(&amp;V)</translation>
        </message>
        <message>
            <source>Pa&amp;yment</source>
            <translation>付款方式(&amp;Y)</translation>
        </message>
        <message>
            <source>&amp;Medium</source>
            <translation>媒体(&amp;M)</translation>
        </message>
        <message>
            <source>Re&amp;quirements</source>
            <translation>送货要求(&amp;Q)</translation>
        </message>
        <message>
            <source>Remar&amp;k</source>
            <translation>备注(&amp;K)</translation>
        </message>
        <message>
            <source>&amp;History</source>
            <translation>历史记录(&amp;H)</translation>
        </message>
        <message>
            <source>&amp;OK</source>
            <translation>确定(&amp;O)</translation>
        </message>
        <message>
            <source>Save the order (Ctrl+Return)</source>
            <translation>保存订单（Ctrl+Return）</translation>
        </message>
        <message>
            <source>Ca&amp;ncel order…</source>
            <translation>取消单(&amp;N)…</translation>
        </message>
        <message>
            <source>Close</source>
            <translation>关闭</translation>
        </message>
        <message>
            <source>Total: {amount}  ({count} item(s))</source>
            <translation>合计：{amount}（{count} 件）</translation>
        </message>
        <message>
            <source>Sales order {no}</source>
            <translation>销售内容 {no}</translation>
        </message>
        <message>
            <source>confirmed</source>
            <translation>已物流确认</translation>
        </message>
        <message>
            <source>not confirmed</source>
            <translation>未物流确认</translation>
        </message>
        <message>
            <source>Order {no} · {date} · {variety} · {status}, {state}</source>
            <translation>单号 {no} · {date} · {variety} · {status}，{state}</translation>
        </message>
        <message>
            <source>created</source>
            <translation>新建</translation>
        </message>
        <message>
            <source>changed</source>
            <translation>修改</translation>
        </message>
        <message>
            <source>logistics confirmation</source>
            <translation>物流确认</translation>
        </message>
        <message>
            <source>cancelled</source>
            <translation>取消单</translation>
        </message>
        <message>
            <source>Add at least one product.</source>
            <translation>请至少增加一个产品。</translation>
        </message>
        <message>
            <source>Logistics confirmation</source>
            <translation>物流确认</translation>
        </message>
        <message>
            <source>Confirm this order for logistics?</source>
            <translation>是否进行物流确认?</translation>
        </message>
        <message>
            <source>Cancel order</source>
            <translation>取消单</translation>
        </message>
        <message>
            <source>Why is the order cancelled?</source>
            <translation>取消订单的原因：</translation>
        </message>
        <message>
            <source>Give the reason for cancelling.</source>
            <translation>请填写取消的原因。</translation>
        </message>
        <message>
            <source>Specification</source>
            <translation>规格</translation>
        </message>
        <message>
            <source>No product matches “{text}”: pick one from the list.</source>
            <translation>没有与“{text}”对应的产品，请从列表中选择。</translation>
        </message>
        <message>
            <source>Send to &amp;logistics</source>
            <translation>传物流(&amp;L)</translation>
        </message>
        <message>
            <source>传物流: tell logistics what changed since the order was confirmed (before it is printed)</source>
            <translation>传物流：把物流确认后修改的内容通知物流部（打印之前）</translation>
        </message>
        <message>
            <source>Receipt</source>
            <translation>垂</translation>
        </message>
        <message>
            <source>withdrawn by logistics</source>
            <translation>物流部撤单</translation>
        </message>
        <message>
            <source>voided</source>
            <translation>作废</translation>
        </message>
        <message>
            <source>printed</source>
            <translation>出库打印</translation>
        </message>
        <message>
            <source>waybill</source>
            <translation>联号</translation>
        </message>
        <message>
            <source>dispatch feedback</source>
            <translation>出库反馈</translation>
        </message>
        <message>
            <source>sent to logistics</source>
            <translation>传物流</translation>
        </message>
        <message>
            <source>receipt</source>
            <translation>垂询</translation>
        </message>
        <message>
            <source>Sent to logistics: {changes}</source>
            <translation>已传物流：{changes}</translation>
        </message>
    </context>
    <context>
        <name>PickCustomerDialog</name>
        <message>
            <source>Choose the customer</source>
            <translation>选择客户</translation>
        </message>
        <message>
            <source>{n} customers have this number. Which one is calling?</source>
            <translation>有 {n} 个客户使用这个号码，来电的是哪一位？</translation>
        </message>
        <message>
            <source>&amp;New customer</source>
            <translation>新客户(&amp;N)</translation>
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
        <message>
            <source>Cost</source>
            <translation>费用</translation>
        </message>
        <message>
            <source>Cost:</source>
            <translation>费用:</translation>
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
        <name>ProfileForm</name>
        <message>
            <source>&amp;Name</source>
            <translation>客户名(&amp;N)</translation>
        </message>
        <message>
            <source>Reg. no.</source>
            <translation>登记编号</translation>
        </message>
        <message>
            <source>Mo&amp;bile</source>
            <translation>手机(&amp;B)</translation>
        </message>
        <message>
            <source>Landline</source>
            <translation>电话</translation>
        </message>
        <message>
            <source>Other phone</source>
            <translation>其它电话</translation>
        </message>
        <message>
            <source>Re&amp;gion</source>
            <translation>区域(&amp;G)</translation>
        </message>
        <message>
            <source>Add&amp;ress</source>
            <translation>地址(&amp;R)</translation>
        </message>
        <message>
            <source>Class</source>
            <translation>类型</translation>
        </message>
        <message>
            <source>Source</source>
            <translation>来源</translation>
        </message>
        <message>
            <source>Owner</source>
            <translation>所属</translation>
        </message>
        <message>
            <source>Callback agent</source>
            <translation>回访人员</translation>
        </message>
        <message>
            <source>End user</source>
            <translation>使用者</translation>
        </message>
        <message>
            <source>School</source>
            <translation>使用者学校</translation>
        </message>
        <message>
            <source>User account</source>
            <translation>用户号</translation>
        </message>
        <message>
            <source>Difficulty</source>
            <translation>回访难度</translation>
        </message>
        <message>
            <source>Remar&amp;k</source>
            <translation>备注(&amp;K)</translation>
        </message>
    </context>
    <context>
        <name>RecordingPlayer</name>
        <message>
            <source>No recording chosen</source>
            <translation>未选择录音</translation>
        </message>
        <message>
            <source>Fetching the recording…</source>
            <translation>正在获取录音…</translation>
        </message>
        <message>
            <source>You may not play this recording: only the agent who took the call, or a user with the recordings permission, may.</source>
            <translation>您不能播放此录音：只有接听该通话的话务员或有录音权限的用户才能播放。</translation>
        </message>
        <message>
            <source>The recording is not on the server (it may have been purged).</source>
            <translation>服务器上没有此录音（可能已过期清除）。</translation>
        </message>
        <message>
            <source>The recording arrived damaged (checksum mismatch); try again.</source>
            <translation>录音传输损坏（校验值不符），请重试。</translation>
        </message>
        <message>
            <source>CTI link not connected</source>
            <translation>CTI 未连接</translation>
        </message>
        <message>
            <source>The recording could not be fetched: {error}</source>
            <translation>无法获取录音：{error}</translation>
        </message>
        <message>
            <source>The recording cannot be played: {error}</source>
            <translation>无法播放录音：{error}</translation>
        </message>
        <message>
            <source>Pause</source>
            <translation>暂停</translation>
        </message>
        <message>
            <source>Play</source>
            <translation>播放</translation>
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
        <name>ReminderDialog</name>
        <message>
            <source>Reminder: {name}</source>
            <translation>提醒：{name}</translation>
        </message>
        <message>
            <source>&amp;Date and time</source>
            <translation>提醒时间(&amp;D)</translation>
        </message>
        <message>
            <source>&amp;Note</source>
            <translation>备注(&amp;N)</translation>
        </message>
        <message>
            <source>&amp;For</source>
            <translation>提醒对象(&amp;F)</translation>
        </message>
        <message>
            <source>Only me</source>
            <translation>仅本人</translation>
        </message>
        <message>
            <source>My callback group {group}</source>
            <translation>本人回访组 {group}</translation>
        </message>
    </context>
    <context>
        <name>ReminderListPanel</name>
        <message>
            <source>Customer reminders</source>
            <translation>客户提醒</translation>
        </message>
        <message>
            <source>Due</source>
            <translation>提醒时间</translation>
        </message>
        <message>
            <source>Done</source>
            <translation>回</translation>
        </message>
        <message>
            <source>Customer</source>
            <translation>客户</translation>
        </message>
        <message>
            <source>Phone</source>
            <translation>电话</translation>
        </message>
        <message>
            <source>Set by</source>
            <translation>设置人</translation>
        </message>
        <message>
            <source>Group</source>
            <translation>组</translation>
        </message>
        <message>
            <source>Note</source>
            <translation>备注</translation>
        </message>
        <message>
            <source>to</source>
            <translation>至</translation>
        </message>
        <message>
            <source>Include done</source>
            <translation>含已回</translation>
        </message>
        <message>
            <source>Refresh</source>
            <translation>刷新</translation>
        </message>
        <message>
            <source>Mark done</source>
            <translation>已回</translation>
        </message>
        <message>
            <source>Go to c&amp;ustomer</source>
            <translation>检索(&amp;U)</translation>
        </message>
        <message>
            <source>Ne&amp;w reminder</source>
            <translation>新提醒(&amp;W)</translation>
        </message>
        <message>
            <source>{n} reminder(s), {open} open</source>
            <translation>{n} 条提醒，{open} 条未回</translation>
        </message>
        <message>
            <source>Select an open reminder first.</source>
            <translation>请先选择一条未回的提醒。</translation>
        </message>
        <message>
            <source>Select a reminder first.</source>
            <translation>请先选择一条提醒。</translation>
        </message>
    </context>
    <context>
        <name>ReminderNotifier</name>
        <message>
            <source>Reminder {time}: {name} {phone} — {note}</source>
            <translation>提醒 {time}：{name} {phone} — {note}</translation>
        </message>
        <message>
            <source>(no note)</source>
            <translation>（无备注）</translation>
        </message>
        <message>
            <source>{n} more reminders are due: see Customer reminders.</source>
            <translation>另有 {n} 条提醒到期，请查看客户提醒。</translation>
        </message>
        <message>
            <source>Reminder: call {name}. {note}</source>
            <translation>提醒：给{name}回电。{note}</translation>
        </message>
    </context>
    <context>
        <name>RemindersTab</name>
        <message>
            <source>Due</source>
            <translation>提醒时间</translation>
        </message>
        <message>
            <source>Done</source>
            <translation>回</translation>
        </message>
        <message>
            <source>Set by</source>
            <translation>设置人</translation>
        </message>
        <message>
            <source>Note</source>
            <translation>备注</translation>
        </message>
        <message>
            <source>New reminder</source>
            <translation>新提醒</translation>
        </message>
        <message>
            <source>Mar&amp;k done</source>
            <translation>已回(&amp;K)</translation>
        </message>
        <message>
            <source>Select an open reminder first.</source>
            <translation>请先选择一条未回的提醒。</translation>
        </message>
    </context>
    <context>
        <name>SalesDirectoryPanel</name>
        <message>
            <source>Sales directory</source>
            <translation>销售目录</translation>
        </message>
        <message>
            <source>Order no.</source>
            <translation>单号</translation>
        </message>
        <message>
            <source>Date</source>
            <translation>日期</translation>
        </message>
        <message>
            <source>Customer</source>
            <translation>客户</translation>
        </message>
        <message>
            <source>Reg. no.</source>
            <translation>登记编号</translation>
        </message>
        <message>
            <source>Phone</source>
            <translation>电话</translation>
        </message>
        <message>
            <source>Region</source>
            <translation>区域</translation>
        </message>
        <message>
            <source>Del.</source>
            <translation>类</translation>
        </message>
        <message>
            <source>Amount</source>
            <translation>金额</translation>
        </message>
        <message>
            <source>Status</source>
            <translation>状态</translation>
        </message>
        <message>
            <source>Fb.</source>
            <translation>反</translation>
        </message>
        <message>
            <source>Rcpt.</source>
            <translation>垂</translation>
        </message>
        <message>
            <source>Class</source>
            <translation>类型</translation>
        </message>
        <message>
            <source>Staff</source>
            <translation>员工</translation>
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
            <source>Waybill no.</source>
            <translation>联号</translation>
        </message>
        <message>
            <source>Trial</source>
            <translation>试</translation>
        </message>
        <message>
            <source>Remark</source>
            <translation>备注</translation>
        </message>
        <message>
            <source>Sales date</source>
            <translation>销售日期</translation>
        </message>
        <message>
            <source>to</source>
            <translation>至</translation>
        </message>
        <message>
            <source>Confirmed</source>
            <translation>物流确认</translation>
        </message>
        <message>
            <source>Not confirmed</source>
            <translation>物流未确认</translation>
        </message>
        <message>
            <source>Confirmed or not</source>
            <translation>全部（不论是否确认）</translation>
        </message>
        <message>
            <source>Any status</source>
            <translation>全部状态</translation>
        </message>
        <message>
            <source>Any delivery</source>
            <translation>全部配送</translation>
        </message>
        <message>
            <source>(no text criterion)</source>
            <translation>（不按内容查找）</translation>
        </message>
        <message>
            <source>Search text</source>
            <translation>查找内容</translation>
        </message>
        <message>
            <source>Search</source>
            <translation>查找</translation>
        </message>
        <message>
            <source>Any medium</source>
            <translation>全部媒体</translation>
        </message>
        <message>
            <source>Any variety</source>
            <translation>全部品种</translation>
        </message>
        <message>
            <source>Any region</source>
            <translation>全部区域</translation>
        </message>
        <message>
            <source>Choose which field the text is searched in.</source>
            <translation>请选择在哪一栏中查找。</translation>
        </message>
        <message>
            <source>, more below</source>
            <translation>，向下滚动加载更多</translation>
        </message>
        <message numerus="yes">
            <source>%n order(s)</source>
            <translation>
                <numerusform>%n 张订单</numerusform>
            </translation>
        </message>
        <message>
            <source>, amount {amount}</source>
            <translation>，金额 {amount}</translation>
        </message>
    </context>
    <context>
        <name>SalesFeature</name>
        <message>
            <source>&amp;New customer</source>
            <translation>新客户(&amp;N)</translation>
        </message>
        <message>
            <source>Customer &amp;directory</source>
            <translation>客户目录(&amp;D)</translation>
        </message>
        <message>
            <source>Customer &amp;query…</source>
            <translation>客户档案查询(&amp;Q)…</translation>
        </message>
        <message>
            <source>&amp;Sales directory</source>
            <translation>销售目录(&amp;S)</translation>
        </message>
        <message>
            <source>Customer &amp;reminders</source>
            <translation>客户提醒(&amp;R)</translation>
        </message>
        <message>
            <source>Customer &amp;maintenance</source>
            <translation>客户维护(&amp;M)</translation>
        </message>
        <message>
            <source>Open a customer first.</source>
            <translation>请先打开一个客户。</translation>
        </message>
        <message>
            <source>CTI link not connected</source>
            <translation>CTI 未连接</translation>
        </message>
        <message>
            <source>Dialling {number}…</source>
            <translation>正在拨打 {number}…</translation>
        </message>
    </context>
    <context>
        <name>SalesLabels</name>
        <message>
            <source>A EMS (Xianguo)</source>
            <translation>A 橡果EMS</translation>
        </message>
        <message>
            <source>B Local delivery</source>
            <translation>B 本地送货</translation>
        </message>
        <message>
            <source>C Post</source>
            <translation>C 邮寄</translation>
        </message>
        <message>
            <source>D Other</source>
            <translation>D 其它</translation>
        </message>
        <message>
            <source>Cash on delivery</source>
            <translation>代收货款</translation>
        </message>
        <message>
            <source>Prepaid</source>
            <translation>预收款</translation>
        </message>
        <message>
            <source>Direct sale</source>
            <translation>直接销售</translation>
        </message>
        <message>
            <source>Bundled</source>
            <translation>搭销</translation>
        </message>
        <message>
            <source>Gift</source>
            <translation>赠品</translation>
        </message>
        <message>
            <source>Not sent</source>
            <translation>未送</translation>
        </message>
        <message>
            <source>In transit</source>
            <translation>在途</translation>
        </message>
        <message>
            <source>Accepted</source>
            <translation>已受理</translation>
        </message>
        <message>
            <source>Voided</source>
            <translation>已作废</translation>
        </message>
        <message>
            <source>Cancelled</source>
            <translation>取消单</translation>
        </message>
        <message>
            <source>No</source>
            <translation>未</translation>
        </message>
        <message>
            <source>Acc.</source>
            <translation>受</translation>
        </message>
        <message>
            <source>Not yet</source>
            <translation>未</translation>
        </message>
        <message>
            <source>Recv.</source>
            <translation>取</translation>
        </message>
        <message>
            <source>Refused</source>
            <translation>拒</translation>
        </message>
        <message>
            <source>A VIP</source>
            <translation>A 贵宾</translation>
        </message>
        <message>
            <source>B Key</source>
            <translation>B 重要</translation>
        </message>
        <message>
            <source>C Ordinary</source>
            <translation>C 普通</translation>
        </message>
        <message>
            <source>D Dead</source>
            <translation>D 死档</translation>
        </message>
        <message>
            <source>Callback</source>
            <translation>回访</translation>
        </message>
        <message>
            <source>Transferred</source>
            <translation>已转接</translation>
        </message>
        <message>
            <source>Easy to talk to</source>
            <translation>容易沟通</translation>
        </message>
        <message>
            <source>Hard to talk to</source>
            <translation>难沟通</translation>
        </message>
        <message>
            <source>Refuses calls</source>
            <translation>拒接电话</translation>
        </message>
        <message>
            <source>Incoming call</source>
            <translation>来电</translation>
        </message>
        <message>
            <source>Outgoing call</source>
            <translation>去电</translation>
        </message>
        <message>
            <source>SMS</source>
            <translation>短信</translation>
        </message>
        <message>
            <source>Visit</source>
            <translation>拜访</translation>
        </message>
        <message>
            <source>Consultation</source>
            <translation>咨询</translation>
        </message>
        <message>
            <source>Order</source>
            <translation>订购</translation>
        </message>
        <message>
            <source>A · Name (or initials)</source>
            <translation>A · 客户名（或拼音首字母）</translation>
        </message>
        <message>
            <source>A · Registration no.</source>
            <translation>A · 登记编号</translation>
        </message>
        <message>
            <source>A · Phone</source>
            <translation>A · 电话</translation>
        </message>
        <message>
            <source>B · User account</source>
            <translation>B · 用户号</translation>
        </message>
        <message>
            <source>B · Name or phone, whole</source>
            <translation>B · 姓名电话直接检索</translation>
        </message>
        <message>
            <source>C · Address</source>
            <translation>C · 地址</translation>
        </message>
        <message>
            <source>C · End user's name</source>
            <translation>C · 使用者姓名</translation>
        </message>
        <message>
            <source>C · End user's school</source>
            <translation>C · 使用者学校</translation>
        </message>
        <message>
            <source>C · Remark</source>
            <translation>C · 备注</translation>
        </message>
        <message>
            <source>Order no. (beginning)</source>
            <translation>单号（前部匹配）</translation>
        </message>
        <message>
            <source>Registration no. (beginning)</source>
            <translation>登记编号（前部匹配）</translation>
        </message>
        <message>
            <source>Waybill no.</source>
            <translation>联号</translation>
        </message>
        <message>
            <source>Customer name</source>
            <translation>客户名</translation>
        </message>
        <message>
            <source>Phone</source>
            <translation>电话</translation>
        </message>
        <message>
            <source>Remark contains</source>
            <translation>备注包含</translation>
        </message>
    </context>
    <context>
        <name>SalesTab</name>
        <message>
            <source>Order no.</source>
            <translation>单号</translation>
        </message>
        <message>
            <source>Date</source>
            <translation>日期</translation>
        </message>
        <message>
            <source>Variety</source>
            <translation>品种</translation>
        </message>
        <message>
            <source>Amount</source>
            <translation>金额</translation>
        </message>
        <message>
            <source>Status</source>
            <translation>状态</translation>
        </message>
        <message>
            <source>Fb.</source>
            <translation>反</translation>
        </message>
        <message>
            <source>Rcpt.</source>
            <translation>垂</translation>
        </message>
        <message>
            <source>Del.</source>
            <translation>类</translation>
        </message>
        <message>
            <source>Staff</source>
            <translation>员工</translation>
        </message>
    </context>
    <context>
        <name>ScreenPop</name>
        <message>
            <source>Outbound call {number}</source>
            <translation>去电 {number}</translation>
        </message>
        <message>
            <source>Call {caller} → {dialed}</source>
            <translation>来电 {caller} → {dialed}</translation>
        </message>
        <message>
            <source>group {group}</source>
            <translation>组{group}</translation>
        </message>
        <message>
            <source>The screen-pop failed (a program error); see the log.</source>
            <translation>弹屏失败（程序错误），详见日志。</translation>
        </message>
    </context>
    <context>
        <name>Shell</name>
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
    </context>
    <context>
        <name>SupervisorPanel</name>
        <message>
            <source>Monitoring</source>
            <translation>监控</translation>
        </message>
        <message>
            <source>User</source>
            <translation>员工号</translation>
        </message>
        <message>
            <source>Name</source>
            <translation>姓名</translation>
        </message>
        <message>
            <source>Seat</source>
            <translation>主被叫</translation>
        </message>
        <message>
            <source>State</source>
            <translation>状态</translation>
        </message>
        <message>
            <source>Reason</source>
            <translation>原因</translation>
        </message>
        <message>
            <source>Since</source>
            <translation>开始时间</translation>
        </message>
        <message>
            <source>Groups</source>
            <translation>组</translation>
        </message>
        <message>
            <source>Group</source>
            <translation>组</translation>
        </message>
        <message>
            <source>Waiting</source>
            <translation>排队</translation>
        </message>
        <message>
            <source>Longest wait</source>
            <translation>最长等待</translation>
        </message>
        <message>
            <source>Ready</source>
            <translation>空闲</translation>
        </message>
        <message>
            <source>Busy</source>
            <translation>置忙</translation>
        </message>
        <message>
            <source>Talking</source>
            <translation>通话</translation>
        </message>
        <message>
            <source>A message for every logged-in agent</source>
            <translation>发给所有已登录话务员的消息</translation>
        </message>
        <message>
            <source>Broadcast</source>
            <translation>广播</translation>
        </message>
        <message>
            <source>Broadcast sent.</source>
            <translation>广播已发送。</translation>
        </message>
        <message>
            <source>Offered</source>
            <translation>呼入</translation>
        </message>
        <message>
            <source>Answered</source>
            <translation>接通</translation>
        </message>
        <message>
            <source>Abandoned</source>
            <translation>放弃</translation>
        </message>
        <message>
            <source>Short abandons</source>
            <translation>短时放弃</translation>
        </message>
        <message>
            <source>Service level</source>
            <translation>服务水平</translation>
        </message>
        <message>
            <source>Abandon rate</source>
            <translation>放弃率</translation>
        </message>
        <message>
            <source>ASA</source>
            <translation>平均应答速度</translation>
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
        <name>TableReport</name>
        <message>
            <source>The printer could not be opened.</source>
            <translation>无法打开打印机。</translation>
        </message>
        <message>
            <source>Page {page} of {pages}</source>
            <translation>第 {page} 页，共 {pages} 页</translation>
        </message>
        <message>
            <source>Print preview: {title}</source>
            <translation>打印预览：{title}</translation>
        </message>
    </context>
    <context>
        <name>TodayCalls</name>
        <message>
            <source>Direction</source>
            <translation>方向</translation>
        </message>
        <message>
            <source>Time</source>
            <translation>时间</translation>
        </message>
        <message>
            <source>Number</source>
            <translation>号码</translation>
        </message>
        <message>
            <source>Customer</source>
            <translation>客户</translation>
        </message>
        <message>
            <source>Duration</source>
            <translation>时长</translation>
        </message>
        <message>
            <source>Result</source>
            <translation>结果</translation>
        </message>
        <message>
            <source>Today's calls</source>
            <translation>今日通话</translation>
        </message>
    </context>
    <context>
        <name>TransferPopup</name>
        <message>
            <source>Transfer the call to</source>
            <translation>将通话转接到</translation>
        </message>
        <message>
            <source>Group</source>
            <translation>组</translation>
        </message>
        <message>
            <source>Agent</source>
            <translation>话务员</translation>
        </message>
        <message>
            <source>Number</source>
            <translation>号码</translation>
        </message>
        <message>
            <source>Group number, agent login or phone number</source>
            <translation>组号、员工号或电话号码</translation>
        </message>
        <message>
            <source>Transfer</source>
            <translation>转接</translation>
        </message>
        <message>
            <source>Enter where the call should go.</source>
            <translation>请输入转接目标。</translation>
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
            <source>Enter the CTI server's host name or address.</source>
            <translation>请输入 CTI 服务器的主机名或地址。</translation>
        </message>
        <message>
            <source>The settings could not be saved ({error}). Check that the disk is not full.</source>
            <translation>无法保存设置（{error}）。请检查磁盘是否已满。</translation>
        </message>
        <message>
            <source>The database server(s) and the database, without an account: each employee logs in with their own database account and password.</source>
            <translation>数据库服务器和数据库名，不含账号：每位员工用自己的数据库账号和密码登录。</translation>
        </message>
        <message>
            <source>CTI without TLS (plaintext):</source>
            <translation>CTI 不加密（明文）：</translation>
        </message>
        <message>
            <source>CTI server certificate file:</source>
            <translation>CTI 服务器证书文件：</translation>
        </message>
        <message>
            <source>Trusted CTI certificate:</source>
            <translation>已信任的 CTI 证书：</translation>
        </message>
        <message>
            <source>empty: trust the first certificate seen</source>
            <translation>留空：信任首次连接时的证书</translation>
        </message>
        <message>
            <source>Forget</source>
            <translation>清除</translation>
        </message>
        <message>
            <source>none yet (remembered at the first connection)</source>
            <translation>暂无（首次连接时记住）</translation>
        </message>
    </context>
    <context>
        <name>call</name>
        <message>
            <source>The built-in CTI server is not running.</source>
            <translation>内置 CTI 服务器未运行。</translation>
        </message>
        <message>
            <source>Demo: you are ready for calls. A demo customer calls every 45 s, or use "Place a demo call".</source>
            <translation>演示：已置为空闲，可以接听。演示客户每 45 秒来电一次，也可以点“模拟来电”。</translation>
        </message>
        <message>
            <source>Message from {sender}: {text}</source>
            <translation>来自 {sender} 的消息：{text}</translation>
        </message>
        <message>
            <source>Disconnected</source>
            <translation>未连接</translation>
        </message>
        <message>
            <source>Connecting…</source>
            <translation>正在连接…</translation>
        </message>
        <message>
            <source>Connected</source>
            <translation>已连接</translation>
        </message>
        <message>
            <source>Logged out</source>
            <translation>未登录</translation>
        </message>
        <message>
            <source>Ready</source>
            <translation>空闲</translation>
        </message>
        <message>
            <source>Busy</source>
            <translation>置忙</translation>
        </message>
        <message>
            <source>Ringing</source>
            <translation>振铃</translation>
        </message>
        <message>
            <source>Talking</source>
            <translation>通话</translation>
        </message>
        <message>
            <source>Wrap-up</source>
            <translation>话后整理</translation>
        </message>
        <message>
            <source>Queued</source>
            <translation>排队</translation>
        </message>
        <message>
            <source>On hold</source>
            <translation>保持</translation>
        </message>
        <message>
            <source>Ended</source>
            <translation>已结束</translation>
        </message>
        <message>
            <source>Connect</source>
            <translation>连接</translation>
        </message>
        <message>
            <source>Disconnect</source>
            <translation>断开</translation>
        </message>
        <message>
            <source>Answer</source>
            <translation>接听</translation>
        </message>
        <message>
            <source>Hang up</source>
            <translation>挂机</translation>
        </message>
        <message>
            <source>Hold</source>
            <translation>保持</translation>
        </message>
        <message>
            <source>Resume</source>
            <translation>恢复</translation>
        </message>
        <message>
            <source>Transfer</source>
            <translation>转接</translation>
        </message>
        <message>
            <source>Dial</source>
            <translation>拨号</translation>
        </message>
        <message>
            <source>Monitoring</source>
            <translation>监控</translation>
        </message>
        <message>
            <source>Broadcast</source>
            <translation>广播</translation>
        </message>
        <message>
            <source>Screen pop</source>
            <translation>弹屏</translation>
        </message>
        <message>
            <source>Break</source>
            <translation>休息</translation>
        </message>
        <message>
            <source>Training</source>
            <translation>培训</translation>
        </message>
        <message>
            <source>Meeting</source>
            <translation>会议</translation>
        </message>
        <message>
            <source>Other</source>
            <translation>其他</translation>
        </message>
        <message>
            <source>Inbound</source>
            <translation>呼入</translation>
        </message>
        <message>
            <source>Outbound</source>
            <translation>呼出</translation>
        </message>
        <message>
            <source>Answered</source>
            <translation>已接听</translation>
        </message>
        <message>
            <source>Abandoned</source>
            <translation>早释</translation>
        </message>
        <message>
            <source>No answer</source>
            <translation>无人接听</translation>
        </message>
        <message>
            <source>Line busy</source>
            <translation>占线</translation>
        </message>
        <message>
            <source>Unreachable</source>
            <translation>无法接通</translation>
        </message>
        <message>
            <source>Rejected</source>
            <translation>被拒绝</translation>
        </message>
        <message>
            <source>Vacant number</source>
            <translation>空号</translation>
        </message>
        <message>
            <source>Powered off</source>
            <translation>关机</translation>
        </message>
        <message>
            <source>Transferred</source>
            <translation>已转接</translation>
        </message>
        <message>
            <source>CTI server stopped</source>
            <translation>CTI 服务器停止</translation>
        </message>
        <message>
            <source>Call &amp;console</source>
            <translation>前台管理(&amp;C)</translation>
        </message>
        <message>
            <source>Call &amp;query</source>
            <translation>通话查询(&amp;Q)</translation>
        </message>
        <message>
            <source>&amp;Missed calls</source>
            <translation>未接来电(&amp;M)</translation>
        </message>
        <message>
            <source>&amp;Internal numbers</source>
            <translation>集团电话(&amp;I)</translation>
        </message>
        <message>
            <source>&amp;Monitoring</source>
            <translation>监控(&amp;M)</translation>
        </message>
        <message>
            <source>Place a demo call</source>
            <translation>模拟来电</translation>
        </message>
        <message>
            <source>Ask the built-in CTI server for a call from a demo customer</source>
            <translation>请内置 CTI 服务器模拟一个演示客户来电</translation>
        </message>
        <message>
            <source>Unanswered</source>
            <translation>未接</translation>
        </message>
        <message>
            <source>Taken by another agent</source>
            <translation>已由其他座席接听</translation>
        </message>
        <message>
            <source>CTI server's certificate trusted at this first connection and remembered: SHA-256 {fingerprint}. Compare it with the one agent-ctid logs.</source>
            <translation>首次连接已信任并记住 CTI 服务器的证书：SHA-256 {fingerprint}。请与 agent-ctid 日志中的指纹核对。</translation>
        </message>
        <message>
            <source>wrong user or password</source>
            <translation>用户名或密码错误</translation>
        </message>
        <message>
            <source>the account is locked after repeated failed logins; try again later</source>
            <translation>多次登录失败，账号已锁定，请稍后再试</translation>
        </message>
        <message>
            <source>change your password first (System → Change password), then connect again</source>
            <translation>请先修改密码（系统管理 → 修改密码），再连接</translation>
        </message>
        <message>
            <source>too many failed logins from this workstation; try again in a few minutes</source>
            <translation>本工作站登录失败次数过多，请几分钟后再试</translation>
        </message>
        <message>
            <source>the CTI server is busy; connecting again shortly</source>
            <translation>CTI 服务器繁忙，稍后自动重新连接</translation>
        </message>
        <message>
            <source>the CTI server closed the link: no login in time</source>
            <translation>未及时登录，CTI 服务器已断开连接</translation>
        </message>
    </context>
    <context>
        <name>calls</name>
        <message>
            <source>Time</source>
            <translation>时间</translation>
        </message>
        <message>
            <source>Direction</source>
            <translation>方向</translation>
        </message>
        <message>
            <source>Caller</source>
            <translation>主叫号码</translation>
        </message>
        <message>
            <source>Dialled number</source>
            <translation>源被叫</translation>
        </message>
        <message>
            <source>Seat</source>
            <translation>主被叫</translation>
        </message>
        <message>
            <source>Agent</source>
            <translation>话务员</translation>
        </message>
        <message>
            <source>Group</source>
            <translation>组</translation>
        </message>
        <message>
            <source>Wait (s)</source>
            <translation>等待(秒)</translation>
        </message>
        <message>
            <source>Talk (s)</source>
            <translation>通话(秒)</translation>
        </message>
        <message>
            <source>End cause</source>
            <translation>结束原因</translation>
        </message>
        <message>
            <source>Medium</source>
            <translation>媒体</translation>
        </message>
        <message>
            <source>Customer</source>
            <translation>客户</translation>
        </message>
        <message>
            <source>Region</source>
            <translation>区域</translation>
        </message>
        <message>
            <source>Call ID</source>
            <translation>通话编号</translation>
        </message>
    </context>
    <context>
        <name>errors</name>
        <message>
            <source>The database is empty: the administrator creates the schema with "agent-admin init-db --url …".</source>
            <translation>数据库是空的：请管理员用 "agent-admin init-db --url …" 创建数据库结构。</translation>
        </message>
        <message>
            <source>The database is from an older version: the administrator upgrades it with "agent-admin init-db --url …".</source>
            <translation>数据库来自旧版本：请管理员用 "agent-admin init-db --url …" 升级。</translation>
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
        <message>
            <source>There is no employee {login}.</source>
            <translation>没有员工号为 {login} 的员工。</translation>
        </message>
        <message>
            <source>A phone number is 3 to 32 digits.</source>
            <translation>电话号码应为 3 至 32 位数字。</translation>
        </message>
        <message>
            <source>This text is too long: at most {limit} characters.</source>
            <translation>内容过长：最多 {limit} 个字符。</translation>
        </message>
        <message>
            <source>The time must carry a time zone.</source>
            <translation>时间必须带时区。</translation>
        </message>
        <message>
            <source>Choose how the customer was contacted.</source>
            <translation>请选择联系方式。</translation>
        </message>
        <message>
            <source>Choose the demand type: consultation or order.</source>
            <translation>请选择需求类型：咨询或订购。</translation>
        </message>
        <message>
            <source>That product variety no longer exists; choose another.</source>
            <translation>该品种已不存在，请重新选择。</translation>
        </message>
        <message>
            <source>A contact cannot be moved to another customer.</source>
            <translation>联系记录不能移到其他客户名下。</translation>
        </message>
        <message>
            <source>Write the customer's opinion or suggestion first.</source>
            <translation>请先填写客户的意见及建议。</translation>
        </message>
        <message>
            <source>Enter a number of days of 0 or more.</source>
            <translation>请输入 0 或更大的天数。</translation>
        </message>
        <message>
            <source>The end date is before the start date.</source>
            <translation>结束日期早于开始日期。</translation>
        </message>
        <message>
            <source>Choose sale or consult.</source>
            <translation>请选择销售或咨询。</translation>
        </message>
        <message>
            <source>Choose a customer class from the list.</source>
            <translation>请从列表中选择客户类型。</translation>
        </message>
        <message>
            <source>Choose a source from the list.</source>
            <translation>请从列表中选择来源。</translation>
        </message>
        <message>
            <source>Choose the field to search in.</source>
            <translation>请选择要查找的字段。</translation>
        </message>
        <message>
            <source>Unknown search field {name}.</source>
            <translation>未知的查找字段 {name}。</translation>
        </message>
        <message>
            <source>Enter the text to search for.</source>
            <translation>请输入要查找的内容。</translation>
        </message>
        <message>
            <source>Enter the digits of a phone number.</source>
            <translation>请输入电话号码的数字。</translation>
        </message>
        <message>
            <source>The page position is not valid; search again.</source>
            <translation>翻页位置无效，请重新查找。</translation>
        </message>
        <message>
            <source>Enter a page size from 1 to {n}.</source>
            <translation>每页行数应为 1 到 {n}。</translation>
        </message>
        <message>
            <source>Select at least one row first.</source>
            <translation>请先选择至少一行。</translation>
        </message>
        <message>
            <source>{name} ({login}) is a closed account; choose an active employee.</source>
            <translation>{name}（{login}）是已关闭的用户，请选择在用的员工。</translation>
        </message>
        <message>
            <source>Order {order_no} is confirmed by logistics and not cancelled, so it cannot be removed. Nothing was removed.</source>
            <translation>订单 {order_no} 已物流确认且不是取消单，不能清除。未清除任何订单。</translation>
        </message>
        <message>
            <source>{value} is not an amount of money.</source>
            <translation>{value} 不是有效的金额。</translation>
        </message>
        <message>
            <source>A price must be between 0 and 9,999,999.99.</source>
            <translation>单价必须在 0 到 9,999,999.99 之间。</translation>
        </message>
        <message>
            <source>Add at least one product to the order.</source>
            <translation>订单至少要有一个产品。</translation>
        </message>
        <message>
            <source>An order has at most {n} lines.</source>
            <translation>一张订单最多 {n} 行。</translation>
        </message>
        <message>
            <source>The quantity must be a whole number from 1 to {max}.</source>
            <translation>数量必须是 1 到 {max} 之间的整数。</translation>
        </message>
        <message>
            <source>The text is too long.</source>
            <translation>文字太长。</translation>
        </message>
        <message>
            <source>The customer of an order cannot change.</source>
            <translation>订单的客户资料不能更改。</translation>
        </message>
        <message>
            <source>Order {order_no} is cancelled or voided and cannot change.</source>
            <translation>订单 {order_no} 已取消或已作废，不能再修改。</translation>
        </message>
        <message>
            <source>Order {order_no} is confirmed for logistics: only its medium can change. Ask logistics to withdraw it (错单撤销) first.</source>
            <translation>订单 {order_no} 已物流确认，只能修改媒体。如需修改其他内容，请先让物流部错单撤销。</translation>
        </message>
        <message>
            <source>Order {order_no} is already confirmed for logistics.</source>
            <translation>订单 {order_no} 已经物流确认。</translation>
        </message>
        <message>
            <source>Give the reason for cancelling.</source>
            <translation>请填写取消的原因。</translation>
        </message>
        <message>
            <source>Order {order_no} has been dispatched or closed; it can no longer be cancelled.</source>
            <translation>订单 {order_no} 已出库或已结束，不能再取消。</translation>
        </message>
        <message>
            <source>Give the sales date range.</source>
            <translation>请输入销售日期范围。</translation>
        </message>
        <message>
            <source>Choose what to search in.</source>
            <translation>请选择查找项。</translation>
        </message>
        <message>
            <source>Type what to search for.</source>
            <translation>请输入要查找的内容。</translation>
        </message>
        <message>
            <source>The medium no longer exists; pick another.</source>
            <translation>该媒体已不存在，请重新选择。</translation>
        </message>
        <message>
            <source>Line {line}: the product is not on sale.</source>
            <translation>第 {line} 行：该产品已停售。</translation>
        </message>
        <message>
            <source>Give the reminder's date and time.</source>
            <translation>请填写提醒的日期和时间。</translation>
        </message>
        <message>
            <source>Choose the group that may take this reminder.</source>
            <translation>请选择可以处理此提醒的组。</translation>
        </message>
        <message>
            <source>{who} already marked this reminder as called back at {when}.</source>
            <translation>{who} 已于 {when} 将此提醒标记为已回。</translation>
        </message>
        <message>
            <source>This reminder was cancelled by customer maintenance.</source>
            <translation>此提醒已在客户维护中取消。</translation>
        </message>
        <message>
            <source>The period ends before it starts.</source>
            <translation>统计期间的结束日期早于开始日期。</translation>
        </message>
        <message>
            <source>The database is busy with other users' changes to the same records. Nothing was saved; please try again.</source>
            <translation>其他用户正在修改同样的记录，数据库繁忙。本次没有保存任何内容，请再试一次。</translation>
        </message>
        <message>
            <source>Too many wrong passwords: this account is blocked. Ask a super administrator to unlock it.</source>
            <translation>密码错误次数过多，此账号已被锁定。请超级管理员为您解锁（登陆恢复）。</translation>
        </message>
        <message>
            <source>Type the whole number, or leave the masked number as it was.</source>
            <translation>请输入完整号码，或保留原样显示的隐藏号码。</translation>
        </message>
        <message>
            <source>This customer has no phone number.</source>
            <translation>该客户没有电话号码。</translation>
        </message>
        <message>
            <source>You can share a reminder only with a group you work in.</source>
            <translation>只能与您所在的组共享提醒。</translation>
        </message>
        <message>
            <source>This text contains a NUL character, which cannot be stored. Remove it (it usually comes from a paste).</source>
            <translation>此文本包含无法保存的 NUL 字符。请删除它（通常来自粘贴）。</translation>
        </message>
        <message>
            <source>This text contains a broken character (half of a character pair). Type the text again.</source>
            <translation>此文本包含损坏的字符（半个字符对）。请重新输入。</translation>
        </message>
        <message>
            <source>This text contains a control character (code {code}), which cannot be stored. Remove it.</source>
            <translation>此文本包含无法保存的控制字符（代码 {code}）。请删除它。</translation>
        </message>
        <message>
            <source>There is no such report.</source>
            <translation>没有这个报表。</translation>
        </message>
        <message>
            <source>A report covers at most three years.</source>
            <translation>一个报表最长统计三年。</translation>
        </message>
        <message>
            <source>Choose one of the listed values.</source>
            <translation>请从列出的选项中选择。</translation>
        </message>
        <message>
            <source>This report has no group filter.</source>
            <translation>该报表不能按组筛选。</translation>
        </message>
        <message>
            <source>Interval reports cover at most 31 days.</source>
            <translation>分时段报表最多统计31天。</translation>
        </message>
        <message>
            <source>Enter a cost like 1280 or 1280.50.</source>
            <translation>请输入费用, 如 1280 或 1280.50。</translation>
        </message>
        <message>
            <source>The cost must be zero or more.</source>
            <translation>费用不能小于零。</translation>
        </message>
        <message>
            <source>The report took longer than {seconds} seconds and was stopped. Choose a shorter period or one group, then run it again.</source>
            <translation>报表统计超过 {seconds} 秒，已被停止。请选择较短的期间或单个组后重新统计。</translation>
        </message>
        <message>
            <source>An Excel sheet holds at most {rows} rows, and this export has more. Nothing was saved: choose a shorter period or narrower filters.</source>
            <translation>一个 Excel 工作表最多容纳 {rows} 行，本次导出超出了这个数目。文件未保存：请缩短时间段或缩小筛选范围后再导出。</translation>
        </message>
        <message>
            <source>Order {order_no} was already fed back by {who} at {when}.</source>
            <translation>订单 {order_no} 已由 {who} 于 {when} 做过出库反馈。</translation>
        </message>
        <message>
            <source>Order {order_no} is {status} and can no longer change.</source>
            <translation>订单 {order_no} {status}，不能再更改。</translation>
        </message>
        <message>
            <source>Order {order_no} is not confirmed for logistics (物流确认) yet.</source>
            <translation>订单 {order_no} 尚未物流确认。</translation>
        </message>
        <message>
            <source>Order {order_no} has been printed: void it (作废) instead.</source>
            <translation>订单 {order_no} 已打印：请改为作废。</translation>
        </message>
        <message>
            <source>Order {order_no} has not been printed: withdraw it (撤单) instead.</source>
            <translation>订单 {order_no} 尚未打印：请改为撤单。</translation>
        </message>
        <message>
            <source>Order {order_no} is not a withdrawn order (撤销单).</source>
            <translation>订单 {order_no} 不是撤销单。</translation>
        </message>
        <message>
            <source>Order {order_no} is cancelled.</source>
            <translation>订单 {order_no} 已取消。</translation>
        </message>
        <message>
            <source>Order {order_no} has no change since it was confirmed: nothing to send.</source>
            <translation>订单 {order_no} 物流确认后没有修改：无需传物流。</translation>
        </message>
        <message>
            <source>cancelled</source>
            <translation>已取消</translation>
        </message>
        <message>
            <source>voided</source>
            <translation>已作废</translation>
        </message>
        <message>
            <source>Give the reason.</source>
            <translation>请填写原因。</translation>
        </message>
        <message>
            <source>A delivery fee must be between 0 and 99,999.99.</source>
            <translation>投递费必须在 0 到 99,999.99 之间。</translation>
        </message>
        <message>
            <source>Scan or type the order number or waybill.</source>
            <translation>请扫描或输入单号或运单号。</translation>
        </message>
        <message>
            <source>The batch is empty: scan a parcel first.</source>
            <translation>本批为空：请先扫描联号。</translation>
        </message>
        <message>
            <source>At most {n} parcels in one batch.</source>
            <translation>一批最多 {n} 件。</translation>
        </message>
        <message>
            <source>Order {order_no} is in the batch twice.</source>
            <translation>订单 {order_no} 在本批中出现两次。</translation>
        </message>
        <message>
            <source>The courier of order {order_no} is not in 物流部.</source>
            <translation>订单 {order_no} 的投递员不是物流部的员工。</translation>
        </message>
        <message>
            <source>Give both dates of the period.</source>
            <translation>请填写起止两个日期。</translation>
        </message>
        <message>
            <source>No order has the number or waybill {ref}.</source>
            <translation>没有单号或运单号为 {ref} 的订单。</translation>
        </message>
        <message>
            <source>Cannot read {file}: {detail}</source>
            <translation>无法读取 {file}：{detail}</translation>
        </message>
        <message>
            <source>{file}: a courier's sheet is .xlsx, .xls or .csv.</source>
            <translation>{file}：快递回单须为 .xlsx、.xls 或 .csv 文件。</translation>
        </message>
        <message>
            <source>The file is neither UTF-8 nor GBK text.</source>
            <translation>文件既不是 UTF-8 也不是 GBK 文本。</translation>
        </message>
        <message>
            <source>{file} is not a readable Excel sheet.</source>
            <translation>{file} 不是可读取的 Excel 表格。</translation>
        </message>
        <message>
            <source>not an amount</source>
            <translation>不是金额</translation>
        </message>
        <message>
            <source>not a date</source>
            <translation>不是日期</translation>
        </message>
        <message>
            <source>a number with decimals</source>
            <translation>带小数的数字</translation>
        </message>
        <message>
            <source>in scientific notation, its digits are lost: format the column as text</source>
            <translation>科学计数法，位数已丢失：请将该列设为文本格式</translation>
        </message>
        <message>
            <source>longer than 32 characters</source>
            <translation>超过 32 个字符</translation>
        </message>
        <message>
            <source>already recorded</source>
            <translation>已经登记</translation>
        </message>
        <message>
            <source>remitted already by an earlier sheet</source>
            <translation>已由之前的回单回款</translation>
        </message>
        <message>
            <source>a remittance for a returned parcel</source>
            <translation>退包的回款</translation>
        </message>
        <message>
            <source>the parcel is not delivered</source>
            <translation>该件未成包</translation>
        </message>
        <message>
            <source>remitted {amount}, the order's COD amount is {expected}</source>
            <translation>回款 {amount}，订单代收货款为 {expected}</translation>
        </message>
        <message>
            <source>Name the courier (at most 32 characters).</source>
            <translation>请填写快递公司名称（最多 32 个字符）。</translation>
        </message>
        <message>
            <source>The sheet has more than {n} rows; split it.</source>
            <translation>表格超过 {n} 行；请拆分后导入。</translation>
        </message>
        <message>
            <source>The sheet has no column for: {fields} (its header: {header}).</source>
            <translation>表格缺少这些列：{fields}（表头：{header}）。</translation>
        </message>
        <message>
            <source>No header row with a waybill or order number column in the first {n} rows.</source>
            <translation>前 {n} 行中没有含运单号或单号列的表头。</translation>
        </message>
        <message>
            <source>empty row</source>
            <translation>空行</translation>
        </message>
        <message>
            <source>the number is {problem}</source>
            <translation>联号为{problem}</translation>
        </message>
        <message>
            <source>no waybill or order number</source>
            <translation>没有运单号或单号</translation>
        </message>
        <message>
            <source>a duplicate of row {line}</source>
            <translation>与第 {line} 行重复</translation>
        </message>
        <message>
            <source>a value is {problem}</source>
            <translation>有一个值{problem}</translation>
        </message>
        <message>
            <source>state {state} is not final</source>
            <translation>状态 {state} 不是最终结果</translation>
        </message>
        <message>
            <source>no order has this number</source>
            <translation>没有此号码的订单</translation>
        </message>
        <message>
            <source>A waybill is letters and digits, without spaces.</source>
            <translation>运单号由字母和数字组成，不含空格。</translation>
        </message>
        <message>
            <source>Waybill {waybill} is on order {order_no} already.</source>
            <translation>运单号 {waybill} 已用于订单 {order_no}。</translation>
        </message>
        <message>
            <source>{number} cannot be printed as a barcode.</source>
            <translation>{number} 无法打印为条码。</translation>
        </message>
        <message>
            <source>The order has no address.</source>
            <translation>订单没有地址。</translation>
        </message>
        <message>
            <source>This period has {n} orders, more than the {limit} one list holds. Choose a shorter period (a month at a time), then run it again.</source>
            <translation>该时段有 {n} 张订单，超过一张列表的上限 {limit} 张。请缩短时段（例如每次一个月）后再查询。</translation>
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
        <message>
            <source>View full phone numbers</source>
            <translation>查看完整号码</translation>
        </message>
    </context>
    <context>
        <name>ReportPanel</name>
        <message numerus="yes">
            <source>%n row(s).</source>
            <translation>
                <numerusform>%n 行。</numerusform>
            </translation>
        </message>
        <message>
            <source>&amp;From</source>
            <translation>从(&amp;F)</translation>
        </message>
        <message>
            <source>T&amp;o</source>
            <translation>到(&amp;O)</translation>
        </message>
        <message>
            <source>&amp;Run</source>
            <translation>统计(&amp;R)</translation>
        </message>
        <message>
            <source>E&amp;xport to Excel…</source>
            <translation>导出 Excel(&amp;X)…</translation>
        </message>
        <message>
            <source>&amp;Print preview…</source>
            <translation>打印预览(&amp;P)…</translation>
        </message>
        <message>
            <source>The period ends before it starts.</source>
            <translation>统计期间的结束日期早于开始日期。</translation>
        </message>
        <message>
            <source>Counting…</source>
            <translation>正在统计…</translation>
        </message>
        <message>
            <source>{start} to {end}</source>
            <translation>{start} 至 {end}</translation>
        </message>
        <message>
            <source>Total</source>
            <translation>合计</translation>
        </message>
    </context>
    <context>
        <name>DailyCallsReport</name>
        <message>
            <source>Daily calls</source>
            <translation>来电日报</translation>
        </message>
        <message>
            <source>&amp;Daily calls</source>
            <translation>来电日报(&amp;D)</translation>
        </message>
        <message>
            <source>Day</source>
            <translation>日期</translation>
        </message>
        <message>
            <source>Inbound</source>
            <translation>呼入</translation>
        </message>
        <message>
            <source>Answered</source>
            <translation>已接</translation>
        </message>
        <message>
            <source>Abandoned</source>
            <translation>放弃</translation>
        </message>
        <message>
            <source>Answer rate</source>
            <translation>接通率</translation>
        </message>
        <message>
            <source>Average talk</source>
            <translation>平均通话</translation>
        </message>
        <message>
            <source>Total</source>
            <translation>合计</translation>
        </message>
    </context>
    <context>
        <name>reports</name>
        <message>
            <source>Daily calls</source>
            <translation>来电日报</translation>
        </message>
        <message>
            <source>&amp;Daily calls</source>
            <translation>来电日报(&amp;D)</translation>
        </message>
        <message>
            <source>Daily</source>
            <translation>日报</translation>
        </message>
        <message>
            <source>Weekly</source>
            <translation>周报</translation>
        </message>
        <message>
            <source>Monthly</source>
            <translation>月报</translation>
        </message>
        <message>
            <source>Quarterly</source>
            <translation>季报</translation>
        </message>
        <message>
            <source>Yearly</source>
            <translation>年报</translation>
        </message>
        <message>
            <source>Report</source>
            <translation>统计方式</translation>
        </message>
        <message>
            <source>Period</source>
            <translation>期间</translation>
        </message>
        <message>
            <source>Inbound</source>
            <translation>呼入</translation>
        </message>
        <message>
            <source>Answered</source>
            <translation>接通</translation>
        </message>
        <message>
            <source>Abandoned</source>
            <translation>放弃</translation>
        </message>
        <message>
            <source>Answer rate</source>
            <translation>接通率</translation>
        </message>
        <message>
            <source>Average talk</source>
            <translation>平均通话时长</translation>
        </message>
        <message>
            <source>Sales dispatch export</source>
            <translation>销售出库导出</translation>
        </message>
        <message>
            <source>Sales dispatch &amp;export</source>
            <translation>销售出库导出(&amp;E)</translation>
        </message>
        <message>
            <source>Media sales detail</source>
            <translation>媒体销售明细表</translation>
        </message>
        <message>
            <source>&amp;Media sales detail</source>
            <translation>媒体销售明细表(&amp;M)</translation>
        </message>
        <message>
            <source>Sales detail</source>
            <translation>销售明细表</translation>
        </message>
        <message>
            <source>Sa&amp;les detail</source>
            <translation>销售明细表(&amp;L)</translation>
        </message>
        <message>
            <source>Sales summary</source>
            <translation>销售统计表</translation>
        </message>
        <message>
            <source>Sales &amp;summary</source>
            <translation>销售统计表(&amp;S)</translation>
        </message>
        <message>
            <source>Waybill no.</source>
            <translation>联号</translation>
        </message>
        <message>
            <source>No</source>
            <translation>否</translation>
        </message>
        <message>
            <source>Yes</source>
            <translation>是</translation>
        </message>
        <message>
            <source>Order no.</source>
            <translation>单号</translation>
        </message>
        <message>
            <source>Confirmed</source>
            <translation>确认时间</translation>
        </message>
        <message>
            <source>Customer</source>
            <translation>客户</translation>
        </message>
        <message>
            <source>Seller</source>
            <translation>销售员</translation>
        </message>
        <message>
            <source>Medium</source>
            <translation>媒体</translation>
        </message>
        <message>
            <source>Delivery</source>
            <translation>配送</translation>
        </message>
        <message>
            <source>Products</source>
            <translation>产品</translation>
        </message>
        <message>
            <source>Quantity</source>
            <translation>数量</translation>
        </message>
        <message>
            <source>Amount</source>
            <translation>金额</translation>
        </message>
        <message>
            <source>COD amount</source>
            <translation>代收货款</translation>
        </message>
        <message>
            <source>By</source>
            <translation>按</translation>
        </message>
        <message>
            <source>Medium, seller and delivery</source>
            <translation>媒体、销售员和配送</translation>
        </message>
        <message>
            <source>Orders</source>
            <translation>订单数</translation>
        </message>
        <message>
            <source>Trial orders</source>
            <translation>试单数</translation>
        </message>
        <message>
            <source>Trial quantity</source>
            <translation>试单数量</translation>
        </message>
        <message>
            <source>Trial amount</source>
            <translation>试单金额</translation>
        </message>
        <message>
            <source>Department</source>
            <translation>部门</translation>
        </message>
        <message>
            <source>Product</source>
            <translation>产品</translation>
        </message>
        <message>
            <source>Ranking</source>
            <translation>排行</translation>
        </message>
        <message>
            <source>Rank</source>
            <translation>名次</translation>
        </message>
        <message>
            <source>Share</source>
            <translation>占比</translation>
        </message>
        <message>
            <source>Employee calls</source>
            <translation>员工通话统计</translation>
        </message>
        <message>
            <source>&amp;Employee calls</source>
            <translation>员工通话统计(&amp;E)</translation>
        </message>
        <message>
            <source>Employee no.</source>
            <translation>员工号</translation>
        </message>
        <message>
            <source>Employee</source>
            <translation>员工</translation>
        </message>
        <message>
            <source>Inbound calls</source>
            <translation>呼入次数</translation>
        </message>
        <message>
            <source>Inbound answered</source>
            <translation>呼入接通</translation>
        </message>
        <message>
            <source>Outbound calls</source>
            <translation>呼出次数</translation>
        </message>
        <message>
            <source>Outbound connected</source>
            <translation>呼出接通</translation>
        </message>
        <message>
            <source>Inbound talk time</source>
            <translation>呼入时长</translation>
        </message>
        <message>
            <source>Outbound talk time</source>
            <translation>呼出时长</translation>
        </message>
        <message>
            <source>Customer records</source>
            <translation>客户资料数统计</translation>
        </message>
        <message>
            <source>&amp;Customer records</source>
            <translation>客户资料数统计(&amp;C)</translation>
        </message>
        <message>
            <source>Class</source>
            <translation>级别</translation>
        </message>
        <message>
            <source>Source</source>
            <translation>来源</translation>
        </message>
        <message>
            <source>Region</source>
            <translation>区域</translation>
        </message>
        <message>
            <source>All</source>
            <translation>全部</translation>
        </message>
        <message>
            <source>A VIP</source>
            <translation>A 贵宾</translation>
        </message>
        <message>
            <source>B Key</source>
            <translation>B 重要客户</translation>
        </message>
        <message>
            <source>C Ordinary</source>
            <translation>C 普通客户</translation>
        </message>
        <message>
            <source>D Dead</source>
            <translation>D 死档</translation>
        </message>
        <message>
            <source>Direct sale</source>
            <translation>直销</translation>
        </message>
        <message>
            <source>Callback</source>
            <translation>回访</translation>
        </message>
        <message>
            <source>Transferred</source>
            <translation>转交</translation>
        </message>
        <message>
            <source>No region</source>
            <translation>无区域</translation>
        </message>
        <message>
            <source>Grouping</source>
            <translation>分类</translation>
        </message>
        <message>
            <source>Item</source>
            <translation>项目</translation>
        </message>
        <message>
            <source>Registered in period</source>
            <translation>本期登记</translation>
        </message>
        <message>
            <source>On file at period end</source>
            <translation>期末资料总数</translation>
        </message>
        <message>
            <source>Share on file</source>
            <translation>占资料比例</translation>
        </message>
        <message>
            <source>Allocation use</source>
            <translation>资料分配利用率统计</translation>
        </message>
        <message>
            <source>&amp;Allocation use</source>
            <translation>资料分配利用率统计(&amp;A)</translation>
        </message>
        <message>
            <source>Allocated as</source>
            <translation>分配方式</translation>
        </message>
        <message>
            <source>Owner or callback agent</source>
            <translation>所属或回访人员</translation>
        </message>
        <message>
            <source>Owner</source>
            <translation>所属人员</translation>
        </message>
        <message>
            <source>Callback agent</source>
            <translation>回访人员</translation>
        </message>
        <message>
            <source>Allocated</source>
            <translation>分配资料数</translation>
        </message>
        <message>
            <source>Contacted</source>
            <translation>已联系</translation>
        </message>
        <message>
            <source>Contact rate</source>
            <translation>联系率</translation>
        </message>
        <message>
            <source>Ordered</source>
            <translation>已订购</translation>
        </message>
        <message>
            <source>Order rate</source>
            <translation>订购率</translation>
        </message>
        <message>
            <source>KPIs by interval</source>
            <translation>分时段指标</translation>
        </message>
        <message>
            <source>&amp;KPIs by interval</source>
            <translation>分时段指标(&amp;K)</translation>
        </message>
        <message>
            <source>Queue wait histogram</source>
            <translation>排队等待分布</translation>
        </message>
        <message>
            <source>&amp;Queue wait histogram</source>
            <translation>排队等待分布(&amp;Q)</translation>
        </message>
        <message>
            <source>Agent state times</source>
            <translation>坐席状态时长</translation>
        </message>
        <message>
            <source>Agent &amp;state times</source>
            <translation>坐席状态时长(&amp;S)</translation>
        </message>
        <message>
            <source>15 minutes</source>
            <translation>15分钟</translation>
        </message>
        <message>
            <source>30 minutes</source>
            <translation>30分钟</translation>
        </message>
        <message>
            <source>60 minutes</source>
            <translation>60分钟</translation>
        </message>
        <message>
            <source>Interval</source>
            <translation>时段</translation>
        </message>
        <message>
            <source>Group</source>
            <translation>组</translation>
        </message>
        <message>
            <source>Agent</source>
            <translation>座席</translation>
        </message>
        <message>
            <source>Name</source>
            <translation>姓名</translation>
        </message>
        <message>
            <source>Offered</source>
            <translation>呼入量</translation>
        </message>
        <message>
            <source>Short abandons</source>
            <translation>短时放弃</translation>
        </message>
        <message>
            <source>Service level</source>
            <translation>服务水平</translation>
        </message>
        <message>
            <source>Abandon rate</source>
            <translation>放弃率</translation>
        </message>
        <message>
            <source>ASA</source>
            <translation>平均应答速度</translation>
        </message>
        <message>
            <source>AHT</source>
            <translation>平均处理时长</translation>
        </message>
        <message>
            <source>Wrap-up</source>
            <translation>话后整理</translation>
        </message>
        <message>
            <source>Ready</source>
            <translation>空闲</translation>
        </message>
        <message>
            <source>Busy</source>
            <translation>置忙</translation>
        </message>
        <message>
            <source>Ringing</source>
            <translation>振铃</translation>
        </message>
        <message>
            <source>Talking</source>
            <translation>通话</translation>
        </message>
        <message>
            <source>Logged out</source>
            <translation>未登录</translation>
        </message>
        <message>
            <source>Occupancy</source>
            <translation>占用率</translation>
        </message>
        <message>
            <source>Conversion</source>
            <translation>转化率</translation>
        </message>
        <message>
            <source>Wait (s)</source>
            <translation>等待(秒)</translation>
        </message>
        <message>
            <source>Calls</source>
            <translation>来电数</translation>
        </message>
        <message>
            <source>Total</source>
            <translation>合计</translation>
        </message>
        <message>
            <source>Detail</source>
            <translation>明细</translation>
        </message>
        <message>
            <source>States</source>
            <translation>状态</translation>
        </message>
        <message>
            <source>Busy reasons</source>
            <translation>置忙原因</translation>
        </message>
        <message>
            <source>Busy reason</source>
            <translation>置忙原因</translation>
        </message>
        <message>
            <source>Share of busy</source>
            <translation>占置忙比例</translation>
        </message>
        <message>
            <source>Inbound sales</source>
            <translation>进线销售统计</translation>
        </message>
        <message>
            <source>Leads by medium and period</source>
            <translation>媒体时段进线统计</translation>
        </message>
        <message>
            <source>Employee leads and sales</source>
            <translation>员工进线销售统计</translation>
        </message>
        <message>
            <source>Region leads and sales</source>
            <translation>区域进线销售统计</translation>
        </message>
        <message>
            <source>Time slot</source>
            <translation>时间段</translation>
        </message>
        <message>
            <source>Sales kind</source>
            <translation>销售</translation>
        </message>
        <message>
            <source>Variety</source>
            <translation>品种</translation>
        </message>
        <message>
            <source>Business number</source>
            <translation>业务号</translation>
        </message>
        <message>
            <source>Leads</source>
            <translation>进线</translation>
        </message>
        <message>
            <source>Bundled sale</source>
            <translation>搭销</translation>
        </message>
        <message>
            <source>Gift</source>
            <translation>赠品</translation>
        </message>
        <message>
            <source>Intraday staffing</source>
            <translation>日内排班</translation>
        </message>
        <message>
            <source>&amp;Intraday staffing</source>
            <translation>日内排班(&amp;I)</translation>
        </message>
        <message>
            <source>Service level goal</source>
            <translation>服务水平目标</translation>
        </message>
        <message>
            <source>Agents needed</source>
            <translation>所需坐席</translation>
        </message>
        <message>
            <source>Agents staffed</source>
            <translation>在岗坐席</translation>
        </message>
        <message>
            <source>Gap</source>
            <translation>缺口</translation>
        </message>
        <message>
            <source>Advert response</source>
            <translation>广告响应</translation>
        </message>
        <message>
            <source>Advert &amp;response</source>
            <translation>广告响应(&amp;R)</translation>
        </message>
        <message>
            <source>Response curve</source>
            <translation>响应曲线</translation>
        </message>
        <message>
            <source>Response &amp;curve</source>
            <translation>响应曲线(&amp;C)</translation>
        </message>
        <message>
            <source>Placement</source>
            <translation>媒体投放</translation>
        </message>
        <message>
            <source>Air slot</source>
            <translation>播出时段</translation>
        </message>
        <message>
            <source>Cost</source>
            <translation>费用</translation>
        </message>
        <message>
            <source>Cost per call</source>
            <translation>每通电话成本</translation>
        </message>
        <message>
            <source>Cost per order</source>
            <translation>每单成本</translation>
        </message>
        <message>
            <source>Baseline calls/min</source>
            <translation>基线(通/分钟)</translation>
        </message>
        <message>
            <source>Calls in 60 min</source>
            <translation>60分钟内来电</translation>
        </message>
        <message>
            <source>Lift</source>
            <translation>提升</translation>
        </message>
        <message>
            <source>Air date</source>
            <translation>播出日期</translation>
        </message>
        <message>
            <source>Start</source>
            <translation>开始时间</translation>
        </message>
        <message>
            <source>Variety / product</source>
            <translation>品种/产品</translation>
        </message>
        <message>
            <source>Placements</source>
            <translation>投放次数</translation>
        </message>
        <message>
            <source>Minute</source>
            <translation>分钟</translation>
        </message>
        <message>
            <source>Medium calls</source>
            <translation>媒体来电</translation>
        </message>
        <message>
            <source>Delivered</source>
            <translation>成包</translation>
        </message>
        <message>
            <source>Returned</source>
            <translation>退包</translation>
        </message>
        <message>
            <source>All (delivered and returned)</source>
            <translation>成退包</translation>
        </message>
        <message>
            <source>Not trial</source>
            <translation>非试单</translation>
        </message>
        <message>
            <source>Trial</source>
            <translation>试单</translation>
        </message>
        <message>
            <source>Delivery class</source>
            <translation>送货方式</translation>
        </message>
        <message>
            <source>A EMS</source>
            <translation>A 橡果EMS</translation>
        </message>
        <message>
            <source>B Local delivery</source>
            <translation>B 本地送货</translation>
        </message>
        <message>
            <source>C Post</source>
            <translation>C 邮寄</translation>
        </message>
        <message>
            <source>D Other</source>
            <translation>D 其它</translation>
        </message>
        <message>
            <source>Dispatch feedback details</source>
            <translation>出库反馈明细表</translation>
        </message>
        <message>
            <source>Accepted</source>
            <translation>受理时间</translation>
        </message>
        <message>
            <source>Courier</source>
            <translation>投递员</translation>
        </message>
        <message>
            <source>Result</source>
            <translation>反馈</translation>
        </message>
        <message>
            <source>Delivery fee</source>
            <translation>投递费</translation>
        </message>
        <message>
            <source>Remark</source>
            <translation>备注</translation>
        </message>
        <message>
            <source>Clerk</source>
            <translation>受理人</translation>
        </message>
        <message>
            <source>Delivery statistics</source>
            <translation>投递统计</translation>
        </message>
        <message>
            <source>Parcels</source>
            <translation>件数</translation>
        </message>
        <message>
            <source>Delivered share</source>
            <translation>成包率</translation>
        </message>
        <message>
            <source>COD delivered</source>
            <translation>成包代收款</translation>
        </message>
        <message>
            <source>Delivery fees</source>
            <translation>投递费</translation>
        </message>
        <message>
            <source>Pending dispatch</source>
            <translation>出库压单明细表</translation>
        </message>
        <message>
            <source>Days waiting</source>
            <translation>压单天数</translation>
        </message>
        <message>
            <source>Phone</source>
            <translation>电话</translation>
        </message>
        <message>
            <source>Printed</source>
            <translation>已打印</translation>
        </message>
        <message>
            <source>Voided orders</source>
            <translation>作废表</translation>
        </message>
        <message>
            <source>Voided</source>
            <translation>作废</translation>
        </message>
        <message>
            <source>How</source>
            <translation>方式</translation>
        </message>
        <message>
            <source>Reason</source>
            <translation>原因</translation>
        </message>
        <message>
            <source>Mailing list</source>
            <translation>交寄清单</translation>
        </message>
        <message>
            <source>Recipient</source>
            <translation>收件人</translation>
        </message>
        <message>
            <source>Address</source>
            <translation>地址</translation>
        </message>
        <message>
            <source>Goods</source>
            <translation>物品</translation>
        </message>
        <message>
            <source>Which parcels</source>
            <translation>单子</translation>
        </message>
        <message>
            <source>Done by</source>
            <translation>操作人</translation>
        </message>
    </context>
    <context>
        <name>DefinedReport</name>
        <message>
            <source>That year has no such week.</source>
            <translation>该年没有这一周。</translation>
        </message>
        <message>
            <source>ACD &amp;group</source>
            <translation>接线组(&amp;G)</translation>
        </message>
        <message>
            <source>&amp;Department</source>
            <translation>部门(&amp;D)</translation>
        </message>
        <message>
            <source>&amp;Year</source>
            <translation>年度(&amp;Y)</translation>
        </message>
        <message>
            <source>&amp;No.</source>
            <translation>第(&amp;N)</translation>
        </message>
        <message>
            <source>Title row in Excel</source>
            <translation>导出含标题</translation>
        </message>
    </context>
    <context>
        <name>CourierSheetPanel</name>
        <message>
            <source>Courier sheets</source>
            <translation>快递回单</translation>
        </message>
        <message>
            <source>Row</source>
            <translation>行</translation>
        </message>
        <message>
            <source>Waybill / number</source>
            <translation>联号</translation>
        </message>
        <message>
            <source>Order no.</source>
            <translation>单号</translation>
        </message>
        <message>
            <source>Result</source>
            <translation>结果</translation>
        </message>
        <message>
            <source>Remitted</source>
            <translation>回款金额</translation>
        </message>
        <message>
            <source>COD amount</source>
            <translation>代收货款</translation>
        </message>
        <message>
            <source>Fate</source>
            <translation>处理</translation>
        </message>
        <message>
            <source>Reason</source>
            <translation>原因</translation>
        </message>
        <message>
            <source>Delivered</source>
            <translation>成包</translation>
        </message>
        <message>
            <source>Returned</source>
            <translation>退包</translation>
        </message>
        <message>
            <source>Applied</source>
            <translation>已导入</translation>
        </message>
        <message>
            <source>Applied, differs</source>
            <translation>已导入，金额不符</translation>
        </message>
        <message>
            <source>Skipped</source>
            <translation>跳过</translation>
        </message>
        <message>
            <source>Refused</source>
            <translation>拒绝</translation>
        </message>
        <message>
            <source>Not remitted</source>
            <translation>未回款</translation>
        </message>
        <message>
            <source>Delivery &amp;results</source>
            <translation>投递结果(&amp;R)</translation>
        </message>
        <message>
            <source>COD &amp;remittances</source>
            <translation>代收货款回款(&amp;M)</translation>
        </message>
        <message>
            <source>Courier</source>
            <translation>快递公司</translation>
        </message>
        <message>
            <source>Sheet</source>
            <translation>文件</translation>
        </message>
        <message>
            <source>Choose…</source>
            <translation>选择…</translation>
        </message>
        <message>
            <source>Chec&amp;k</source>
            <translation>检查(&amp;K)</translation>
        </message>
        <message>
            <source>&amp;Import</source>
            <translation>导入(&amp;I)</translation>
        </message>
        <message>
            <source>E&amp;xport</source>
            <translation>导出(&amp;X)</translation>
        </message>
        <message>
            <source>A courier's sheet</source>
            <translation>快递公司的回单</translation>
        </message>
        <message>
            <source>Sheets (*.xlsx *.xls *.csv)</source>
            <translation>表格 (*.xlsx *.xls *.csv)</translation>
        </message>
        <message>
            <source>Choose the courier's sheet first.</source>
            <translation>请先选择快递公司的回单文件。</translation>
        </message>
        <message>
            <source>Import {file} from {courier}?</source>
            <translation>导入 {courier} 的 {file}？</translation>
        </message>
        <message>
            <source>Would apply {n}</source>
            <translation>可导入 {n} 行</translation>
        </message>
        <message>
            <source>Applied {n}</source>
            <translation>已导入 {n} 行</translation>
        </message>
        <message>
            <source>; differs {flagged}, skipped {skipped}, refused {refused}.</source>
            <translation>；金额不符 {flagged}，跳过 {skipped}，拒绝 {refused}。</translation>
        </message>
        <message>
            <source>COD expected ¥{expected:,.2f}, remitted ¥{remitted:,.2f}, difference ¥{difference:,.2f}, fees ¥{fees:,.2f}; {n} delivered parcels not remitted (¥{missing:,.2f}).</source>
            <translation>应收代收款 ¥{expected:,.2f}，回款 ¥{remitted:,.2f}，差额 ¥{difference:,.2f}，手续费 ¥{fees:,.2f}；已成包未回款 {n} 件 (¥{missing:,.2f})。</translation>
        </message>
        <message>
            <source>Check a sheet first.</source>
            <translation>请先检查一份回单。</translation>
        </message>
        <message>
            <source>&amp;Problems only</source>
            <translation>只看问题行(&amp;P)</translation>
        </message>
        <message>
            <source>Would apply</source>
            <translation>可导入</translation>
        </message>
        <message>
            <source>Would apply, differs</source>
            <translation>可导入，金额不符</translation>
        </message>
    </context>
    <context>
        <name>DispatchCatalogPanel</name>
        <message>
            <source>Dispatch catalogue</source>
            <translation>出库目录</translation>
        </message>
        <message>
            <source>Order no.</source>
            <translation>单号</translation>
        </message>
        <message>
            <source>Confirmed</source>
            <translation>确认时间</translation>
        </message>
        <message>
            <source>Customer</source>
            <translation>客户</translation>
        </message>
        <message>
            <source>Phone</source>
            <translation>电话</translation>
        </message>
        <message>
            <source>Region</source>
            <translation>区域</translation>
        </message>
        <message>
            <source>Cl.</source>
            <translation>类</translation>
        </message>
        <message>
            <source>COD</source>
            <translation>代收款</translation>
        </message>
        <message>
            <source>Goods</source>
            <translation>物品</translation>
        </message>
        <message>
            <source>Status</source>
            <translation>状态</translation>
        </message>
        <message>
            <source>Printed</source>
            <translation>打印</translation>
        </message>
        <message>
            <source>Fb.</source>
            <translation>反</translation>
        </message>
        <message>
            <source>Waybill</source>
            <translation>联号</translation>
        </message>
        <message>
            <source>Sent again</source>
            <translation>传物流</translation>
        </message>
        <message>
            <source>Seller</source>
            <translation>销售员</translation>
        </message>
        <message>
            <source>Address</source>
            <translation>地址</translation>
        </message>
        <message>
            <source>Class</source>
            <translation>类</translation>
        </message>
        <message>
            <source>Product</source>
            <translation>产品</translation>
        </message>
        <message>
            <source>Fed back</source>
            <translation>已反馈</translation>
        </message>
        <message>
            <source>Find</source>
            <translation>查找</translation>
        </message>
        <message>
            <source>Withdrawn orders (撤销单)</source>
            <translation>撤销单</translation>
        </message>
        <message>
            <source>&amp;Search</source>
            <translation>查找(&amp;S)</translation>
        </message>
        <message>
            <source>Template</source>
            <translation>样式表</translation>
        </message>
        <message>
            <source>By delivery class</source>
            <translation>按送货方式</translation>
        </message>
        <message>
            <source>Pre&amp;view</source>
            <translation>预览(&amp;V)</translation>
        </message>
        <message>
            <source>&amp;Print…</source>
            <translation>打印(&amp;P)…</translation>
        </message>
        <message>
            <source>P&amp;DF…</source>
            <translation>PDF(&amp;D)…</translation>
        </message>
        <message>
            <source>&amp;Withdraw</source>
            <translation>撤单(&amp;W)</translation>
        </message>
        <message>
            <source>V&amp;oid</source>
            <translation>作废(&amp;O)</translation>
        </message>
        <message>
            <source>&amp;Cancel order</source>
            <translation>取消单(&amp;C)</translation>
        </message>
        <message>
            <source>&amp;Delete withdrawn</source>
            <translation>删撤销单(&amp;D)</translation>
        </message>
        <message>
            <source>Text to find</source>
            <translation>查找内容</translation>
        </message>
        <message>
            <source>Yes</source>
            <translation>是</translation>
        </message>
        <message>
            <source>No</source>
            <translation>否</translation>
        </message>
        <message>
            <source>Last {n} days</source>
            <translation>近{n}天</translation>
        </message>
        <message>
            <source>Withdrawn</source>
            <translation>撤单时间</translation>
        </message>
        <message>
            <source> (scroll for more)</source>
            <translation>（向下滚动查看更多）</translation>
        </message>
        <message numerus="yes">
            <source>%n order(s)</source>
            <translation>
                <numerusform>%n 张单</numerusform>
            </translation>
        </message>
        <message>
            <source>Sent again by sales (传物流): {changes}</source>
            <translation>销售已传物流：{changes}</translation>
        </message>
        <message>
            <source>already fed back</source>
            <translation>已出库反馈</translation>
        </message>
        <message>
            <source>withdrawn</source>
            <translation>已撤单</translation>
        </message>
        <message>
            <source>Tick the orders to print, or choose one.</source>
            <translation>请勾选要打印的订单，或选中一张。</translation>
        </message>
        <message>
            <source>No label template is installed.</source>
            <translation>没有安装样式表。</translation>
        </message>
        <message numerus="yes">
            <source>%n order(s) printed.</source>
            <translation>
                <numerusform>已打印 %n 张单。</numerusform>
            </translation>
        </message>
        <message>
            <source>Not printed: {list}</source>
            <translation>未打印：{list}</translation>
        </message>
        <message>
            <source>Save the labels as PDF</source>
            <translation>将面单存为 PDF</translation>
        </message>
        <message>
            <source>Print preview: {n} label(s)</source>
            <translation>打印预览：{n} 张</translation>
        </message>
        <message>
            <source>Choose the order first.</source>
            <translation>请先选中订单。</translation>
        </message>
        <message>
            <source>Withdraw order {order_no} to sales (撤单)? Why?</source>
            <translation>将订单 {order_no} 撤单退回销售？原因：</translation>
        </message>
        <message>
            <source>Void printed order {order_no} (作废)? Why?</source>
            <translation>作废已打印的订单 {order_no}？原因：</translation>
        </message>
        <message>
            <source>Cancel order {order_no} (取消单)? Why?</source>
            <translation>取消订单 {order_no}？原因：</translation>
        </message>
        <message>
            <source>Delete withdrawn order {order_no} for good? Why?</source>
            <translation>永久删除撤销单 {order_no}？原因：</translation>
        </message>
        <message>
            <source>{order_no} went back to sales.</source>
            <translation>{order_no} 已撤单退回销售。</translation>
        </message>
        <message>
            <source>{order_no} is voided.</source>
            <translation>{order_no} 已作废。</translation>
        </message>
        <message>
            <source>{order_no} is cancelled.</source>
            <translation>{order_no} 已取消。</translation>
        </message>
        <message>
            <source>{order_no} is deleted.</source>
            <translation>{order_no} 已删除。</translation>
        </message>
        <message>
            <source>Way&amp;bill…</source>
            <translation>联号(&amp;B)…</translation>
        </message>
        <message>
            <source>&amp;Mailing list</source>
            <translation>交寄清单(&amp;M)</translation>
        </message>
        <message>
            <source>E&amp;xport list</source>
            <translation>导出清单(&amp;X)</translation>
        </message>
        <message>
            <source>Waybill of order {order_no}:</source>
            <translation>订单 {order_no} 的运单号：</translation>
        </message>
        <message>
            <source>{order_no}: waybill {waybill}.</source>
            <translation>{order_no}：联号 {waybill}。</translation>
        </message>
        <message>
            <source>Recipient</source>
            <translation>收件人</translation>
        </message>
        <message>
            <source>Delivery</source>
            <translation>送货方式</translation>
        </message>
        <message>
            <source>Tick the orders to hand over, or choose one.</source>
            <translation>请勾选要交寄的订单，或选中一张。</translation>
        </message>
        <message numerus="yes">
            <source>%n parcel(s)</source>
            <translation>
                <numerusform>%n 件</numerusform>
            </translation>
        </message>
        <message>
            <source>Mailing list</source>
            <translation>交寄清单</translation>
        </message>
        <message>
            <source>Requirements</source>
            <translation>送货要求</translation>
        </message>
        <message>
            <source>Remark</source>
            <translation>备注</translation>
        </message>
    </context>
    <context>
        <name>DispatchFeedbackPanel</name>
        <message>
            <source>Dispatch feedback</source>
            <translation>出库反馈</translation>
        </message>
        <message>
            <source>Order no.</source>
            <translation>单号</translation>
        </message>
        <message>
            <source>Customer</source>
            <translation>客户</translation>
        </message>
        <message>
            <source>COD</source>
            <translation>代收款</translation>
        </message>
        <message>
            <source>Result</source>
            <translation>反馈</translation>
        </message>
        <message>
            <source>Courier</source>
            <translation>投递员</translation>
        </message>
        <message>
            <source>Fee</source>
            <translation>投递费</translation>
        </message>
        <message>
            <source>Remark</source>
            <translation>备注</translation>
        </message>
        <message>
            <source>Refused because</source>
            <translation>未受理原因</translation>
        </message>
        <message>
            <source>Delivered</source>
            <translation>成包</translation>
        </message>
        <message>
            <source>Returned</source>
            <translation>退包</translation>
        </message>
        <message>
            <source>Order no. / waybill</source>
            <translation>联号</translation>
        </message>
        <message>
            <source>Scan or type, then Enter</source>
            <translation>扫描或输入单号/运单号，回车</translation>
        </message>
        <message>
            <source>&amp;Delivered</source>
            <translation>成包(&amp;D)</translation>
        </message>
        <message>
            <source>&amp;Returned</source>
            <translation>退包(&amp;R)</translation>
        </message>
        <message>
            <source>Delivery fee</source>
            <translation>投递费</translation>
        </message>
        <message>
            <source>&amp;Add to batch (Enter)</source>
            <translation>增加(&amp;A)（回车）</translation>
        </message>
        <message>
            <source>Remove (Del)</source>
            <translation>删除（Del）</translation>
        </message>
        <message>
            <source>Accept batch (Ctrl+Enter)</source>
            <translation>受理（Ctrl+回车）</translation>
        </message>
        <message>
            <source>{ref} is already in the batch.</source>
            <translation>{ref} 已在本批中。</translation>
        </message>
        <message>
            <source>Enter adds it to the batch as shown; Alt+R makes it returned.</source>
            <translation>回车按所示增加到本批；Alt+R 改为退包。</translation>
        </message>
        <message>
            <source> (trial)</source>
            <translation>（试单）</translation>
        </message>
        <message>
            <source>Collect on delivery: {amount}</source>
            <translation>代收货款：{amount}</translation>
        </message>
        <message>
            <source>Scan or type a parcel first.</source>
            <translation>请先扫描或输入联号。</translation>
        </message>
        <message>
            <source>{order_no} added.</source>
            <translation>{order_no} 已增加。</translation>
        </message>
        <message>
            <source>{n} parcels, {returned} returned; COD delivered {cod}</source>
            <translation>共 {n} 件，退包 {returned} 件；成包代收款 {cod}</translation>
        </message>
        <message>
            <source>The batch is empty: scan a parcel first.</source>
            <translation>本批为空：请先扫描联号。</translation>
        </message>
        <message>
            <source>Accept the feedback of {n} parcels?</source>
            <translation>确实要受理这 {n} 件的出库反馈吗？</translation>
        </message>
        <message>
            <source>{done} parcels accepted; {n} refused, shown with the reason.</source>
            <translation>已受理 {done} 件；{n} 件未受理，原因见列表。</translation>
        </message>
        <message>
            <source>{done} parcels accepted.</source>
            <translation>已受理 {done} 件。</translation>
        </message>
        <message>
            <source>{ref} is already in the batch as {order_no}.</source>
            <translation>{ref} 已在本批中（单号 {order_no}）。</translation>
        </message>
    </context>
    <context>
        <name>logistics</name>
        <message>
            <source>Dispatch &amp;catalogue</source>
            <translation>出库目录(&amp;C)</translation>
        </message>
        <message>
            <source>Dispatch &amp;feedback</source>
            <translation>出库反馈(&amp;F)</translation>
        </message>
        <message>
            <source>Courier &amp;sheets</source>
            <translation>快递回单(&amp;S)</translation>
        </message>
    </context>
</TS>
