// One vec4 of x against four vec4s: the inner step of the vec4 kernels' 4-wide tiles (matmul_vec4,
// lora_matmul_vec4, gate_up_silu_vec4): four outputs' partial dot products over 4 inputs.
fn dot4(x: vec4<f32>, a: vec4<f32>, b: vec4<f32>, c: vec4<f32>, d: vec4<f32>) -> vec4<f32> {
  return vec4<f32>(dot(x, a), dot(x, b), dot(x, c), dot(x, d));
}
