# The GPU architectures the CUDA backend is compiled for, when the user does not say
# (-DCMAKE_CUDA_ARCHITECTURES=...). Left to itself nvcc builds one old architecture only
# (CUDA 13: sm_75, no Volta), and every kernel is then JIT-compiled from PTX on the first
# launch on a newer GPU. So:
# - a GPU visible at configure time (nvidia-smi lists one): `native`, its own architecture;
# - otherwise a portable list for the toolkit: real code for each major architecture it
#   supports, plus PTX of the newest so that later GPUs can JIT it.
# Must run before enable_language(CUDA), which otherwise fixes the toolkit's default.
function(aafgan_default_cuda_architectures)
  if(DEFINED CMAKE_CUDA_ARCHITECTURES OR DEFINED ENV{CUDAARCHS})
    message(STATUS "aafgan: CUDA architectures ${CMAKE_CUDA_ARCHITECTURES}$ENV{CUDAARCHS} (as given)")
    return()
  endif()
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
  if(gpu_caps MATCHES "^[0-9]+\\.[0-9]+")
    string(REPLACE "\n" ", " gpu_list "${gpu_caps}")
    set(archs native)
    set(why "the GPU seen at configure time (compute capability ${gpu_list})")
  else()
    # nvcc's version decides what it can target: CUDA 13 dropped Volta (sm_70).
    execute_process(COMMAND ${CMAKE_CUDA_COMPILER} --version OUTPUT_VARIABLE nvcc_version ERROR_QUIET)
    string(REGEX MATCH "release ([0-9]+)\\.([0-9]+)" _ "${nvcc_version}")
    set(cuda_major "${CMAKE_MATCH_1}")
    if(cuda_major GREATER_EQUAL 13)
      set(archs 75-real 80-real 90-real 100)
    elseif(cuda_major EQUAL 12)
      set(archs 70-real 80-real 90)
    else()
      set(archs 70-real 80)
    endif()
    set(why "no GPU visible at configure time: a portable list for CUDA ${cuda_major}; the last one also as PTX")
  endif()
  set(CMAKE_CUDA_ARCHITECTURES "${archs}" CACHE STRING "CUDA architectures (aafgan's default: ${why})")
  message(STATUS "aafgan: CUDA architectures ${archs} (${why})")
endfunction()
