# Windows dynamic disks (LDM) on disks that carry none (InitEmpty).
ldmtool-scan
ldmtool-scan-devices "/dev/sda /dev/sdb"
ldmtool-create-all
list-ldm-volumes
list-ldm-partitions
ldmtool-remove-all
-ldmtool-diskgroup-name 0123abcd
-ldmtool-diskgroup-volumes 0123abcd
-ldmtool-diskgroup-disks 0123abcd
-ldmtool-volume-type 0123abcd vol
-ldmtool-volume-hint 0123abcd vol
-ldmtool-volume-partitions 0123abcd vol
