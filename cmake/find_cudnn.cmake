# Finds cuDNN wherever users have it, header and library from the same place:
#   1. AAFGAN_CUDNN_ROOT (cache or environment; the older CUDNN_ROOT too): ROOT/include, ROOT/lib*
#   2. the CUDA toolkit's folders (NVIDIA's tarball copied into them, conda's layout)
#   3. the pip wheel (nvidia-cudnn-cu12/-cu13, what PyTorch's wheels bring): found by asking the
#      Python that has it (`import nvidia.cudnn`), its include/ and lib/ folders
#   4. the system's folders (Debian/Ubuntu's libcudnn9-dev-cuda-12: /usr/include[/<arch>], /usr/lib/<arch>;
#      a tarball unpacked into /usr/local: include/, lib64/ or lib/)
# A versioned library (libcudnn.so.9, as the wheel has it: no unversioned .so) is accepted. It is
# a script of plain file tests rather than find_library, so that the order above holds whatever
# CMake's search defaults are, and so that tests/cmake_modules.sh can run it on made-up
# layouts.
#
# aafgan_find_cudnn(CUDA_INCLUDE_DIRS <dirs> CUDA_LIBRARY_DIRS <dirs> [PYTHON <exe>])
# sets in the caller: AAFGAN_CUDNN_FOUND, AAFGAN_CUDNN_INCLUDE_DIR, AAFGAN_CUDNN_LIBRARY,
# AAFGAN_CUDNN_VERSION (e.g. 9.1.0), AAFGAN_CUDNN_WHERE (which of the places above), and
# AAFGAN_CUDNN_SEARCHED (what was looked at, for the error message).

# The cuDNN of one (include, library folders) pair, or nothing.
function(_aafgan_cudnn_in include_dir lib_dirs out_lib out_version)
  set(${out_lib} "" PARENT_SCOPE)
  set(header "${include_dir}/cudnn_version.h")  # cuDNN 8 and later keep the version here
  if(NOT EXISTS "${header}")
    set(header "${include_dir}/cudnn.h")
  endif()
  if(NOT EXISTS "${include_dir}/cudnn.h" OR NOT EXISTS "${header}")
    return()
  endif()
  file(STRINGS "${header}" lines REGEX "^#define CUDNN_(MAJOR|MINOR|PATCHLEVEL) +[0-9]+")
  foreach(part MAJOR MINOR PATCHLEVEL)
    string(REGEX MATCH "CUDNN_${part} +([0-9]+)" unused "${lines}")
    set(v_${part} "${CMAKE_MATCH_1}")
  endforeach()
  if(v_MAJOR STREQUAL "")
    return()
  endif()
  foreach(dir IN LISTS lib_dirs)
    # The unversioned name first (what a -dev package or the tarball has), then the major
    # version the header declares: a library of another major version would not match it.
    foreach(name libcudnn.so "libcudnn.so.${v_MAJOR}")
      if(EXISTS "${dir}/${name}" AND NOT IS_DIRECTORY "${dir}/${name}")
        set(${out_lib} "${dir}/${name}" PARENT_SCOPE)
        set(${out_version} "${v_MAJOR}.${v_MINOR}.${v_PATCHLEVEL}" PARENT_SCOPE)
        return()
      endif()
    endforeach()
  endforeach()
endfunction()

function(aafgan_find_cudnn)
  cmake_parse_arguments(A "" "PYTHON" "CUDA_INCLUDE_DIRS;CUDA_LIBRARY_DIRS" ${ARGN})
  set(arch_triplet "${CMAKE_LIBRARY_ARCHITECTURE}")
  if(arch_triplet STREQUAL "")
    set(arch_triplet "x86_64-linux-gnu")
  endif()
  # Candidates: "where|include dir|lib dir;lib dir…", in the order of the header comment.
  set(candidates "")
  set(root "${AAFGAN_CUDNN_ROOT}")
  if(root STREQUAL "" AND DEFINED ENV{AAFGAN_CUDNN_ROOT})
    set(root "$ENV{AAFGAN_CUDNN_ROOT}")
  endif()
  foreach(r "${root}" "${CUDNN_ROOT}" "$ENV{CUDNN_ROOT}")
    if(NOT r STREQUAL "")
      list(APPEND candidates "AAFGAN_CUDNN_ROOT ${r}|${r}/include|${r}/lib64:${r}/lib:${r}/lib/x64:${r}/lib/${arch_triplet}")
    endif()
  endforeach()
  set(cuda_libs "")
  foreach(d IN LISTS A_CUDA_LIBRARY_DIRS)
    string(APPEND cuda_libs "${d}:")
    get_filename_component(up "${d}" DIRECTORY)
    string(APPEND cuda_libs "${up}/lib64:${up}/lib:")
  endforeach()
  foreach(inc IN LISTS A_CUDA_INCLUDE_DIRS)
    list(APPEND candidates "the CUDA toolkit|${inc}|${cuda_libs}")
  endforeach()
  if(A_PYTHON)
    # A namespace package has no __file__: __path__ is the folder either way.
    execute_process(COMMAND "${A_PYTHON}" -c "import nvidia.cudnn as m; print(list(m.__path__)[0])"
                    OUTPUT_VARIABLE wheel RESULT_VARIABLE rc ERROR_QUIET OUTPUT_STRIP_TRAILING_WHITESPACE TIMEOUT 60)
    if(rc EQUAL 0 AND IS_DIRECTORY "${wheel}")
      list(APPEND candidates "the pip wheel nvidia-cudnn (${A_PYTHON})|${wheel}/include|${wheel}/lib")
    endif()
  endif()
  foreach(inc /usr/include /usr/include/${arch_triplet} /usr/local/include)
    list(APPEND candidates "the system|${inc}|/usr/lib/${arch_triplet}:/usr/lib64:/usr/lib:/usr/local/lib64:/usr/local/lib:/usr/local/lib/${arch_triplet}")
  endforeach()

  set(searched "")
  foreach(c IN LISTS candidates)
    string(REPLACE "|" ";" parts "${c}")
    list(GET parts 0 where)
    list(GET parts 1 inc)
    list(GET parts 2 libs)
    string(REPLACE ":" ";" libs "${libs}")
    list(REMOVE_ITEM libs "")
    list(APPEND searched "${inc}")
    _aafgan_cudnn_in("${inc}" "${libs}" lib version)
    if(lib)
      set(AAFGAN_CUDNN_FOUND ON PARENT_SCOPE)
      set(AAFGAN_CUDNN_INCLUDE_DIR "${inc}" PARENT_SCOPE)
      set(AAFGAN_CUDNN_LIBRARY "${lib}" PARENT_SCOPE)
      set(AAFGAN_CUDNN_VERSION "${version}" PARENT_SCOPE)
      set(AAFGAN_CUDNN_WHERE "${where}" PARENT_SCOPE)
      set(AAFGAN_CUDNN_SEARCHED "${searched}" PARENT_SCOPE)
      return()
    endif()
  endforeach()
  set(AAFGAN_CUDNN_FOUND OFF PARENT_SCOPE)
  list(REMOVE_DUPLICATES searched)
  string(REPLACE ";" ", " searched "${searched}")
  set(AAFGAN_CUDNN_SEARCHED "${searched}" PARENT_SCOPE)
endfunction()
