rm -rf g4 && mkdir g4 && guestmount --fd=x -a demo.img -i g4
