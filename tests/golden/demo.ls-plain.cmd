virt-ls -a demo.img /etc /nonexistent
