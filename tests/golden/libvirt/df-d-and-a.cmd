virt-df -c test://$PWD/guests.xml -d demo -a gpt.img
