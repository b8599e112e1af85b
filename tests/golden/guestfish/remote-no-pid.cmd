env -u GUESTFISH_PID guestfish --remote echo x
