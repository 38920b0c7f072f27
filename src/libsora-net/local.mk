src_libsora_la_SOURCES += \
	%reldir%/net-config.cc
