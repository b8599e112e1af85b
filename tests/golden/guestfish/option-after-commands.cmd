guestfish echo hi -V
