import { libraryFrom, type ShaderLibrary } from './shaders';

const files = import.meta.glob('../../shaders/*.wgsl', { query: '?raw', import: 'default', eager: true }) as Record<string, string>;
export const shaderLibrary: ShaderLibrary = libraryFrom(files);
