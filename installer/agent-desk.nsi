; NSIS installer for the agent desktop (Windows): wraps PyInstaller's one folder
; (installer/agent-desk.spec). Build on Windows, after PyInstaller, from the project folder:
;     makensis installer\agent-desk.nsi
; -DDIST=folder wraps another folder (default ..\dist\agent-desk, relative to this file),
; -DOUTFILE=file.exe names the result (default ..\dist\agent-desk-VERSION-setup.exe),
; -DVERSION=x.y.z overrides the version (keep the default equal to pyproject.toml's:
; tests/packaging/test_nsis.py checks it).
;
; A Chinese/English installer (the user picks the language; 简体中文 first): installs per
; machine into Program Files\AgentDesk, adds a Start-menu folder with the agent desktop
; (agent-app) and the uninstaller, a desktop shortcut, and an entry in Apps & features.
; agent-ctid and agent-admin are installed beside agent-app for the command line, without
; shortcuts. Workstation settings, logs and the embedded database live in each user's
; AppData (platformdirs), so an upgrade or an uninstall never touches them.
Unicode true
SetCompressor /SOLID lzma
!include "MUI2.nsh"
!include "x64.nsh"

!define APPKEY "AgentDesk"
!define UNINSTKEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\${APPKEY}"
!ifndef VERSION
  !define VERSION "0.1.0"
!endif
!ifndef DIST
  !define DIST "..\dist\agent-desk"
!endif
!ifndef OUTFILE
  !define OUTFILE "..\dist\agent-desk-${VERSION}-setup.exe"
!endif
; Wrapping a Linux build (no .exe) would make an installer whose shortcuts lead nowhere.
!if ! /FileExists "${DIST}\agent-app.exe"
  !error "${DIST}\agent-app.exe is missing: build installer\agent-desk.spec with PyInstaller on Windows first"
!endif

Name "$(APP_NAME) ${VERSION}"
OutFile "${OUTFILE}"
InstallDir "$PROGRAMFILES64\${APPKEY}"
InstallDirRegKey HKLM "Software\${APPKEY}" "InstallDir"
RequestExecutionLevel admin
VIProductVersion "${VERSION}.0"
VIAddVersionKey /LANG=0 "ProductName" "Agent Desk"
VIAddVersionKey /LANG=0 "FileDescription" "Agent Desk installer"
VIAddVersionKey /LANG=0 "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=0 "ProductVersion" "${VERSION}"
VIAddVersionKey /LANG=0 "LegalCopyright" ""

!define MUI_ABORTWARNING
; remember the chosen language for the uninstaller
!define MUI_LANGDLL_REGISTRY_ROOT HKLM
!define MUI_LANGDLL_REGISTRY_KEY "Software\${APPKEY}"
!define MUI_LANGDLL_REGISTRY_VALUENAME "InstallerLanguage"
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "SimpChinese"
!insertmacro MUI_LANGUAGE "English"
!insertmacro MUI_RESERVEFILE_LANGDLL

LangString APP_NAME ${LANG_SIMPCHINESE} "坐席工作台"
LangString APP_NAME ${LANG_ENGLISH} "Agent Desk"
LangString UNINSTALL_NAME ${LANG_SIMPCHINESE} "卸载坐席工作台"
LangString UNINSTALL_NAME ${LANG_ENGLISH} "Uninstall Agent Desk"
LangString NEEDS_X64 ${LANG_SIMPCHINESE} "坐席工作台需要 64 位 Windows。"
LangString NEEDS_X64 ${LANG_ENGLISH} "Agent Desk needs 64-bit Windows."

Function .onInit
  ${IfNot} ${RunningX64}
    MessageBox MB_ICONSTOP "$(NEEDS_X64)"
    Abort
  ${EndIf}
  SetRegView 64
  !insertmacro MUI_LANGDLL_DISPLAY
FunctionEnd

Function un.onInit
  SetRegView 64
  !insertmacro MUI_UNGETLANGUAGE
FunctionEnd

Section "Install"
  SetShellVarContext all  ; per machine: shortcuts for every user
  SetOutPath "$INSTDIR"
  ; an upgrade replaces the bundled libraries whole: no stale DLL of an older build stays
  RMDir /r "$INSTDIR\_internal"
  File /r "${DIST}\*"
  WriteUninstaller "$INSTDIR\uninstall.exe"

  CreateDirectory "$SMPROGRAMS\$(APP_NAME)"
  CreateShortcut "$SMPROGRAMS\$(APP_NAME)\$(APP_NAME).lnk" "$INSTDIR\agent-app.exe"
  CreateShortcut "$SMPROGRAMS\$(APP_NAME)\$(UNINSTALL_NAME).lnk" "$INSTDIR\uninstall.exe"
  CreateShortcut "$DESKTOP\$(APP_NAME).lnk" "$INSTDIR\agent-app.exe"

  WriteRegStr HKLM "Software\${APPKEY}" "InstallDir" "$INSTDIR"
  WriteRegStr HKLM "${UNINSTKEY}" "DisplayName" "$(APP_NAME) (Agent Desk)"
  WriteRegStr HKLM "${UNINSTKEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKLM "${UNINSTKEY}" "DisplayIcon" "$INSTDIR\agent-app.exe"
  WriteRegStr HKLM "${UNINSTKEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKLM "${UNINSTKEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKLM "${UNINSTKEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKLM "${UNINSTKEY}" "NoModify" 1
  WriteRegDWORD HKLM "${UNINSTKEY}" "NoRepair" 1
SectionEnd

Section "Uninstall"
  SetShellVarContext all
  ; Only what the installer put there (never RMDir /r $INSTDIR: a user may have chosen a
  ; folder that holds other files); the users' AppData stays.
  RMDir /r "$INSTDIR\_internal"
  Delete "$INSTDIR\agent-app.exe"
  Delete "$INSTDIR\agent-ctid.exe"
  Delete "$INSTDIR\agent-admin.exe"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  ; both languages' names: the installer may have run in the other one
  RMDir /r "$SMPROGRAMS\坐席工作台"
  RMDir /r "$SMPROGRAMS\Agent Desk"
  Delete "$DESKTOP\坐席工作台.lnk"
  Delete "$DESKTOP\Agent Desk.lnk"
  DeleteRegKey HKLM "${UNINSTKEY}"
  DeleteRegKey HKLM "Software\${APPKEY}"
SectionEnd
