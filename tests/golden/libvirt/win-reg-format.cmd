virt-win-reg -c test://$PWD/guests.xml --format raw demo 'HKLM\SOFTWARE'
