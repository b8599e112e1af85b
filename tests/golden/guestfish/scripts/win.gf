-ls win:c:\windows
-ls win:
echo end
