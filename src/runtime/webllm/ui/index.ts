export { WebLLMModelPicker, type WebLLMModelPickerProps } from './ModelPicker';
export { WebLLMErrorPanel, type WebLLMErrorPanelProps } from './WebLLMErrorPanel';
export { SequentialCostNote, WebLLMSpeed, type SequentialCostNoteProps } from './WebLLMSpeed';
export { useWebLLMSession } from './useWebLLMSession';
