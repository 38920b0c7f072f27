# libFuzzer targets, built and run by fuzz/run.sh with clang-14 (CI runs it).
EXTRA_DIST += %reldir%/run.sh %reldir%/proxy-v2.cc %reldir%/config-file.cc \
	%reldir%/seeds/config-file/basic.conf %reldir%/seeds/proxy-v2/tcp4.bin
