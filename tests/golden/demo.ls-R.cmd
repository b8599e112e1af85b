virt-ls -a demo.img -R /etc
