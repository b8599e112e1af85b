rm -rf b9 && mkdir b9 && cp win.img b9/w.img && printf '%s\n' '[-HKLM\SOFTWARE]' > b9/a.reg && virt-win-reg --merge b9/w.img b9/a.reg
