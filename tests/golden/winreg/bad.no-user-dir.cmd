rm -rf b8 && mkdir b8 && cp win.img b8/w.img && printf '%s\n' '[HKU\bob\Software]' '"a"=dword:00000001' > b8/a.reg && virt-win-reg --merge b8/w.img b8/a.reg
