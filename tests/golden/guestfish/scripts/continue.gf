-mount /dev/sda1 /
- - -mount /dev/sda1 /
-!false
-<!false
echo after
!false
echo never
