sbin_PROGRAMS += src/sorad/sorad
src_sorad_sorad_SOURCES = \
	%reldir%/log-config.cc \
	%reldir%/log-config.h \
	%reldir%/main.cc \
	%reldir%/notify.cc \
	%reldir%/notify.h \
	%reldir%/pidfile.cc \
	%reldir%/pidfile.h \
	%reldir%/startup.cc \
	%reldir%/startup.h \
	%reldir%/supervisor.cc \
	%reldir%/supervisor.h \
	%reldir%/worker.cc \
	%reldir%/worker.h
src_sorad_sorad_LDADD = src/libsora.la $(UV_LIBS) $(SYSTEMD_LIBS)
