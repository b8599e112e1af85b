rm -rf b2 && mkdir b2 && cp win.img b2/w.img && printf '%s\n' '[HKLM\SOFTWARE\T3]' '"a"=dword:00000001' '[HKLM\SOFTWARE\T4]' > b2/a.reg && virt-win-reg --merge b2/w.img b2/a.reg
