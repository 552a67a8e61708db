# Writes OUTPUT, a CTest file with one test per GoogleTest suite of TEST_BINARY: a suite's
# cases share one process, so libtorch starts once per suite rather than once per case.
# Run after every build of the test binary (tests/CMakeLists.txt).
execute_process(COMMAND ${TEST_BINARY} --gtest_list_tests OUTPUT_VARIABLE listing RESULT_VARIABLE status
                TIMEOUT 120)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "${TEST_BINARY} --gtest_list_tests failed (${status})")
endif()
string(REPLACE "\n" ";" lines "${listing}")
set(script "")
foreach(line IN LISTS lines)
  # Suite lines start at the first column ("Suite." or "Prefix/Suite."); cases are indented.
  if(line MATCHES "^([A-Za-z0-9_/]+)\\.")
    set(suite "${CMAKE_MATCH_1}")
    string(APPEND script "add_test([=[${suite}]=] [=[${TEST_BINARY}]=] [=[--gtest_filter=${suite}.*]=])\n"
                         "set_tests_properties([=[${suite}]=] PROPERTIES FIXTURES_REQUIRED testdata TIMEOUT 900)\n")
  endif()
endforeach()
file(WRITE "${OUTPUT}.part" "${script}")
file(RENAME "${OUTPUT}.part" "${OUTPUT}")
