rm -rf b6 && mkdir b6 && cp win.img b6/w.img && printf '%s\n' '[HKLM\SOFTWARE\NoSuch\Deeper]' '"a"=dword:00000001' > b6/a.reg && virt-win-reg --merge b6/w.img b6/a.reg
