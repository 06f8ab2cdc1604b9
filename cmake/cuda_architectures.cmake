# The GPU architectures the CUDA backend is compiled for, when the user does not say
# (-DCMAKE_CUDA_ARCHITECTURES=... or CUDAARCHS). Left to itself nvcc builds one old architecture
# only (CUDA 13: sm_75, no Volta), and every kernel is then JIT-compiled from PTX on the first
# launch on a newer GPU. So:
# - GPUs visible at configure time (nvidia-smi lists them): real code for each of their compute
#   capabilities, e.g. `70-real` on a V100. Spelled out rather than CMake's `native`, which needs
#   CMake 3.24 while this project supports 3.18 (Ubuntu 22.04 has 3.22).
# - otherwise a portable list: real code for each major architecture the toolkit supports, plus
#   PTX of the newest so that later GPUs can JIT it.
# What the toolkit supports is asked of nvcc (--list-gpu-arch), not assumed from its version: a
# GPU older than that (a V100 with CUDA 13) is a configure error that says which CUDA to use; one
# newer gets PTX of the toolkit's newest architecture, with a warning.
# Must run before enable_language(CUDA), which otherwise fixes the toolkit's default.

# The architectures `nvcc` can compile for, as numbers ("75;80;86;…"), ascending.
function(aafgan_nvcc_architectures nvcc out)
  execute_process(COMMAND "${nvcc}" --list-gpu-arch OUTPUT_VARIABLE listed RESULT_VARIABLE rc ERROR_QUIET TIMEOUT 60)
  set(archs "")
  if(rc EQUAL 0)
    string(REGEX MATCHALL "compute_[0-9]+" computes "${listed}")
    foreach(c IN LISTS computes)
      string(REPLACE "compute_" "" n "${c}")
      list(APPEND archs "${n}")
    endforeach()
  endif()
  if(archs STREQUAL "")
    # nvcc before 11.0 has no --list-gpu-arch; CUDA 11 and 12 start at Maxwell (5.0), Volta (7.0)
    # being the oldest this project is tested on.
    set(archs 70 75 80)
  endif()
  list(REMOVE_DUPLICATES archs)
  list(SORT archs COMPARE NATURAL)
  set(${out} "${archs}" PARENT_SCOPE)
endfunction()

# The architecture list for the compute capabilities `caps` (nvidia-smi's "7.0\n9.0" output, any
# separators) given what nvcc supports (`supported`, ascending numbers): sets `out_archs` and
# `out_why`; a GPU that the toolkit cannot target is a FATAL_ERROR naming the fix.
function(aafgan_cuda_archs_for_gpus caps supported cuda_version out_archs out_why)
  string(REGEX MATCHALL "[0-9]+\\.[0-9]+" cap_list "${caps}")
  list(REMOVE_DUPLICATES cap_list)
  list(GET supported 0 oldest)
  list(GET supported -1 newest)
  set(archs "")
  set(notes "")
  foreach(cap IN LISTS cap_list)
    string(REPLACE "." "" n "${cap}")
    list(FIND supported "${n}" at)
    if(at GREATER_EQUAL 0)
      list(APPEND archs "${n}-real")
    elseif(n LESS oldest)
      message(FATAL_ERROR "aafgan: the GPU seen at configure time has compute capability ${cap} (sm_${n}), which "
                          "CUDA ${cuda_version} cannot compile for (its oldest is sm_${oldest}). A V100 (sm_70) needs "
                          "CUDA 12.x; or pass -DCMAKE_CUDA_ARCHITECTURES=... for another GPU than this one.")
    elseif(n GREATER newest)
      list(APPEND archs "${newest}-virtual")
      list(APPEND notes "sm_${n} is newer than CUDA ${cuda_version} knows: PTX of sm_${newest}, JIT-compiled by the driver at first launch")
    else()
      # Between two supported architectures (e.g. 8.7 on a toolkit without it): the closest below
      # runs on it (same major version).
      set(below "")
      foreach(s IN LISTS supported)
        if(s LESS n)
          set(below "${s}")
        endif()
      endforeach()
      list(APPEND archs "${below}-real")
      list(APPEND notes "sm_${n} is not in CUDA ${cuda_version}'s list: sm_${below} code, which it runs")
    endif()
  endforeach()
  list(REMOVE_DUPLICATES archs)
  string(REPLACE ";" ", " cap_text "${cap_list}")
  set(why "the GPU seen at configure time, compute capability ${cap_text}")
  if(notes)
    string(REPLACE ";" "; " notes "${notes}")
    message(WARNING "aafgan: ${notes}")
    set(why "${why}; ${notes}")
  endif()
  set(${out_archs} "${archs}" PARENT_SCOPE)
  set(${out_why} "${why}" PARENT_SCOPE)
endfunction()

# Without a visible GPU: real code for the data-centre generations users train on (the
# toolkit's oldest from Volta on: 70 with CUDA 12, 75 with CUDA 13; then 80, 90, 100 where
# supported), the newest also as PTX, which later GPUs JIT-compile.
function(aafgan_cuda_archs_portable supported cuda_version out_archs out_why)
  set(archs "")
  foreach(n IN LISTS supported)
    if(n GREATER_EQUAL 70)
      list(APPEND archs "${n}")
      break()
    endif()
  endforeach()
  foreach(n 80 90 100)
    list(FIND supported "${n}" at)
    if(at GREATER_EQUAL 0)
      list(APPEND archs "${n}")
    endif()
  endforeach()
  list(REMOVE_DUPLICATES archs)
  set(result "")
  list(LENGTH archs count)
  math(EXPR last "${count} - 1")
  foreach(i RANGE ${last})
    list(GET archs ${i} n)
    if(i EQUAL last)
      list(APPEND result "${n}")  # real code and PTX
    else()
      list(APPEND result "${n}-real")
    endif()
  endforeach()
  set(${out_archs} "${result}" PARENT_SCOPE)
  set(${out_why} "no GPU visible at configure time: a portable list for CUDA ${cuda_version}; the last one also as PTX" PARENT_SCOPE)
endfunction()

function(aafgan_default_cuda_architectures)
  if(DEFINED CMAKE_CUDA_ARCHITECTURES OR DEFINED ENV{CUDAARCHS})
    message(STATUS "aafgan: CUDA architectures ${CMAKE_CUDA_ARCHITECTURES}$ENV{CUDAARCHS} (as given)")
    return()
  endif()
  set(nvcc "${AAFGAN_NVCC}")
  if(nvcc STREQUAL "")
    set(nvcc "${CMAKE_CUDA_COMPILER}")
  endif()
  execute_process(COMMAND "${nvcc}" --version OUTPUT_VARIABLE nvcc_version ERROR_QUIET TIMEOUT 60)
  string(REGEX MATCH "release ([0-9]+\\.[0-9]+)" _ "${nvcc_version}")
  set(cuda_version "${CMAKE_MATCH_1}")
  aafgan_nvcc_architectures("${nvcc}" supported)

  set(gpu_caps "")
  find_program(AAFGAN_NVIDIA_SMI nvidia-smi)
  if(AAFGAN_NVIDIA_SMI)
    execute_process(COMMAND ${AAFGAN_NVIDIA_SMI} --query-gpu=compute_cap --format=csv,noheader
                    OUTPUT_VARIABLE gpu_caps RESULT_VARIABLE smi_rc ERROR_QUIET OUTPUT_STRIP_TRAILING_WHITESPACE
                    TIMEOUT 20)
    if(NOT smi_rc EQUAL 0)
      set(gpu_caps "")
    endif()
  endif()
  if(gpu_caps MATCHES "[0-9]+\\.[0-9]+")
    aafgan_cuda_archs_for_gpus("${gpu_caps}" "${supported}" "${cuda_version}" archs why)
  else()
    aafgan_cuda_archs_portable("${supported}" "${cuda_version}" archs why)
  endif()
  set(CMAKE_CUDA_ARCHITECTURES "${archs}" CACHE STRING "CUDA architectures (aafgan's default: ${why})")
  message(STATUS "aafgan: CUDA architectures ${archs} (${why})")
endfunction()
