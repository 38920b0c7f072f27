src_libsora_la_SOURCES += \
	%reldir%/auth-config.cc
