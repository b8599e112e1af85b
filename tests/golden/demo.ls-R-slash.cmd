virt-ls -a demo.img -R /home/
