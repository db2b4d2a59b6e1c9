/**
 * Engine verification: an engine under test (TensorRT FP32/FP16/INT8) against the reference (ONNX Runtime) on the same
 * letterboxed inputs. {@link io.flinkvision.verification.TensorComparison} compares raw output tensors element by
 * element with {@link io.flinkvision.verification.Tolerance} ({@code |a - r| <= atol + rtol * |r|});
 * {@link io.flinkvision.verification.DetectionAgreement} matches decoded detections per class at IoU 0.5 and 0.9;
 * {@link io.flinkvision.verification.EngineVerifier} runs both engines and returns a
 * {@link io.flinkvision.verification.VerificationReport}. Used by the {@code verify} and {@code compare} commands.
 * Imports engine, imaging, postprocess and detection; nothing of Flink.
 *
 * Public API ({@code @PublicEvolving}): {@code AgreementReport}, {@code ClassAgreement}, {@code ElementError},
 * {@code EngineVerifier}, {@code FieldStats}, {@code FrameAgreement}, {@code ImageResult},
 * {@code ServingVerification}, {@code TensorReport}, {@code Tolerance}, {@code VerificationReport},
 * {@code VerificationSettings}; the other public types are {@code @Internal}.
 */
package io.flinkvision.verification;
