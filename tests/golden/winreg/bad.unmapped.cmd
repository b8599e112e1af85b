rm -rf b5 && mkdir b5 && cp win.img b5/w.img && printf '%s\n' '[HKEY_CURRENT_USER\Software\X]' '"a"="b"' > b5/a.reg && virt-win-reg --merge b5/w.img b5/a.reg
