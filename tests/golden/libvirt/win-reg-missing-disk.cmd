virt-win-reg -c test://$PWD/guests.xml missing-disk 'HKLM\SOFTWARE'
