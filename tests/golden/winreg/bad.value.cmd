rm -rf b3 && mkdir b3 && cp win.img b3/w.img && printf '%s\n' '[HKLM\SOFTWARE\T5]' '"a"=dword:123' > b3/a.reg && virt-win-reg --merge b3/w.img b3/a.reg
