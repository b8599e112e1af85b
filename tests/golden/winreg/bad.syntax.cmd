rm -rf b1 && mkdir b1 && cp win.img b1/w.img && printf '%s\n' REGEDIT4 '' '[HKLM\SOFTWARE\T2]' '"a"="b"' '"bad line' > b1/a.reg && virt-win-reg --merge b1/w.img b1/a.reg
