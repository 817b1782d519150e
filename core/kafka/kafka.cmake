# Kafka's record formats need the compression codecs Kafka clients use: gzip (zlib), snappy, lz4, zstd.
# Debian 12 packages: zlib1g-dev, libsnappy-dev, liblz4-dev, libzstd-dev.
find_library(KZ_SNAPPY_LIB snappy REQUIRED)
find_library(KZ_LZ4_LIB lz4 REQUIRED)
find_library(KZ_ZSTD_LIB zstd REQUIRED)
target_link_libraries(kz_core PUBLIC ZLIB::ZLIB ${KZ_SNAPPY_LIB} ${KZ_LZ4_LIB} ${KZ_ZSTD_LIB})
