virt-diff -c test://$PWD/guests.xml -d demo -A gpt.img
