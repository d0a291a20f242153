; NSIS installer for the agent desktop (Windows). Build after PyInstaller:
;     makensis installer\agent-desk.nsi
; Installs per machine into Program Files, adds Start-menu shortcuts in Chinese and English,
; and an uninstaller. Workstation settings live in the user's AppData (platformdirs), so an
; upgrade or uninstall never touches them.
Unicode true
!include "MUI2.nsh"

!define APPNAME "Agent Desk"
!define APPNAME_ZH "坐席工作台"
!define VERSION "0.1.0"

Name "${APPNAME_ZH} ${VERSION}"
OutFile "..\dist\agent-desk-${VERSION}-setup.exe"
InstallDir "$PROGRAMFILES64\AgentDesk"
RequestExecutionLevel admin

!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "SimpChinese"
!insertmacro MUI_LANGUAGE "English"

Section "Install"
  SetOutPath "$INSTDIR"
  File /r "..\dist\agent-desk\*.*"
  WriteUninstaller "$INSTDIR\uninstall.exe"
  CreateDirectory "$SMPROGRAMS\${APPNAME_ZH}"
  CreateShortcut "$SMPROGRAMS\${APPNAME_ZH}\${APPNAME_ZH}.lnk" "$INSTDIR\agent-app.exe"
  CreateShortcut "$DESKTOP\${APPNAME_ZH}.lnk" "$INSTDIR\agent-app.exe"
  WriteRegStr HKLM "Software\Microsoft\Windows\CurrentVersion\Uninstall\AgentDesk" "DisplayName" "${APPNAME_ZH}"
  WriteRegStr HKLM "Software\Microsoft\Windows\CurrentVersion\Uninstall\AgentDesk" "UninstallString" "$INSTDIR\uninstall.exe"
SectionEnd

Section "Uninstall"
  RMDir /r "$INSTDIR"
  RMDir /r "$SMPROGRAMS\${APPNAME_ZH}"
  Delete "$DESKTOP\${APPNAME_ZH}.lnk"
  DeleteRegKey HKLM "Software\Microsoft\Windows\CurrentVersion\Uninstall\AgentDesk"
SectionEnd
