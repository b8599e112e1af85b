rm -rf b4 && mkdir b4 && cp win.img b4/w.img && printf '%s\n' '[HKLM\SOFTWARE\T6]' '"a"="b"' '' garbage > b4/a.reg && virt-win-reg --merge b4/w.img b4/a.reg
