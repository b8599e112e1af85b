rm -rf b7 && mkdir b7 && cp win.img b7/w.img && printf '%s\n' '[HKLM\SOFTWARE\T7]' '"a"="b"' > b7/a.reg && virt-win-reg --merge --encoding=nosuch b7/w.img b7/a.reg
