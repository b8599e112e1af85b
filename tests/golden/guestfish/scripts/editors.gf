write /f "original\n"
setenv EDITOR "sed -i s/original/edited/"
edit /f
cat /f
-vi /missing-file-with-vi-forced
setenv PAGER cat
more /f
setenv GUESTFISH_DISPLAY_IMAGE "sed s/^/shown:/"
display /f
setenv HEXEDITOR true
hexedit /f
cat /f
setenv HEXEDITOR "sh -c 'printf XY | dd conv=notrunc status=none of=$0'"
hexedit /f 0 2
cat /f
-hexedit /dev/sda
hexedit /dev/sda 1k | tail -n 1
-hexedit /f 100 10
setenv HEXEDITOR false
-hexedit /f
