# Kafka protocol codecs: generated at build time from kz's schema files (schema/*.kzs) by
# gen/kafka_codegen.py into <build>/core/kafka/protocol/generated/ (never committed, never edited).
find_package(Python3 REQUIRED COMPONENTS Interpreter)

set(KZ_KAFKA_PROTOCOL_DIR ${CMAKE_CURRENT_LIST_DIR})
set(KZ_KAFKA_GENERATOR ${KZ_KAFKA_PROTOCOL_DIR}/gen/kafka_codegen.py)
file(GLOB KZ_KAFKA_SCHEMAS CONFIGURE_DEPENDS ${KZ_KAFKA_PROTOCOL_DIR}/schema/*.kzs)
set(KZ_KAFKA_GENERATED_DIR ${CMAKE_BINARY_DIR}/core/kafka/protocol/generated)
set(KZ_KAFKA_GENERATED
    ${KZ_KAFKA_GENERATED_DIR}/messages.h
    ${KZ_KAFKA_GENERATED_DIR}/messages_0.cc
    ${KZ_KAFKA_GENERATED_DIR}/messages_1.cc
    ${KZ_KAFKA_GENERATED_DIR}/messages_2.cc
    ${KZ_KAFKA_GENERATED_DIR}/messages_3.cc
    ${KZ_KAFKA_GENERATED_DIR}/dispatch.cc)

add_custom_command(
  OUTPUT ${KZ_KAFKA_GENERATED}
  COMMAND ${Python3_EXECUTABLE} ${KZ_KAFKA_GENERATOR} --out-dir ${KZ_KAFKA_GENERATED_DIR} ${KZ_KAFKA_SCHEMAS}
  DEPENDS ${KZ_KAFKA_GENERATOR} ${KZ_KAFKA_SCHEMAS}
  COMMENT "Generating Kafka protocol codecs from ${KZ_KAFKA_PROTOCOL_DIR}/schema"
  VERBATIM)
add_custom_target(kz_kafka_protocol_generated DEPENDS ${KZ_KAFKA_GENERATED})
target_sources(kz_core PRIVATE ${KZ_KAFKA_GENERATED})
add_dependencies(kz_core kz_kafka_protocol_generated)
