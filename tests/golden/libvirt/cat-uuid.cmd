virt-cat -c test://$PWD/guests.xml -d 00000000-0000-4000-8000-000000000002 /etc/fstab
