virt-win-reg -c test://$PWD/guests.xml nosuch 'HKLM\SOFTWARE'
