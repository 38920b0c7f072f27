src_libsora_la_SOURCES += \
	%reldir%/core-config.cc \
	%reldir%/log-setup.h \
	%reldir%/log.cc \
	%reldir%/loop.cc \
	%reldir%/sections.h \
	%reldir%/task.cc
