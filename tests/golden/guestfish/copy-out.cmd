mkdir -p out && guestfish --ro -a demo.img -i copy-out /etc/hostname /home out && find out | sort && cat out/hostname
