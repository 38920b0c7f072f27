src_libsora_la_SOURCES += \
	%reldir%/core-config.cc \
	%reldir%/log-setup.h \
	%reldir%/log.cc \
	%reldir%/loop-setup.h \
	%reldir%/loop.cc \
	%reldir%/sections.h \
	%reldir%/task.cc
src_libsora_la_SOURCES += \
	%reldir%/config-load.h \
	%reldir%/config-value.cc \
	%reldir%/config.cc \
	%reldir%/module-loader.cc \
	%reldir%/module-loader.h
