# YARA rules: loaded from source, matched against guest files, destroyed; the errors with no
# rules loaded, a missing file, and rules that do not compile.
available "libyara"
mount /dev/sdb1 /
write /f "this file contains the word malware in it\n"
write /g "clean\n"
! printf 'rule has_malware { strings: $a = "malware" condition: $a }\nrule always { condition: true }\n' > rules.yar
! echo 'rule broken {' > bad.yar
-yara-scan /f
-yara-destroy
yara-load rules.yar
yara-scan /f
yara-scan /g
-yara-scan /nonexistent
yara-destroy
-yara-destroy
-yara-load bad.yar
-yara-scan /f
