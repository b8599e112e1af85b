inspect-get-drive-mappings /dev/sda2
-ls win:c:\
-ls win:C:/Windows
-cat win:c:\windows\system32\nosuch
-ls win:d:\
-ls win:q:\
ls win:\windows
echo end
