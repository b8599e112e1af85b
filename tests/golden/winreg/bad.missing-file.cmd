rm -rf b10 && mkdir b10 && cp win.img b10/w.img && virt-win-reg --merge b10/w.img b10/nosuch.reg
