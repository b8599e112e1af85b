virt-win-reg -c test://$PWD/guests.xml demo 'HKLM\SOFTWARE\Microsoft'
