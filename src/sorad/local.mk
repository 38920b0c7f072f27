sbin_PROGRAMS += src/sorad/sorad
src_sorad_sorad_SOURCES = %reldir%/main.cc
src_sorad_sorad_LDADD = src/libsora.la $(UV_LIBS)
