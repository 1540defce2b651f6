using TorchSharp;

namespace Arrakis.Hooks;

/// <summary>
/// A forward hook: reads the activation and may return a replacement of the same shape (or <c>null</c> to keep it).
/// A backward hook receives the gradient with respect to the activation and may return a replacement gradient.
/// </summary>
/// <param name="activation">The activation (or gradient) at the hook point; see the hook's documented shape.</param>
/// <param name="context">The hook's name, layer and scratch space.</param>
public delegate torch.Tensor? HookFunction(torch.Tensor activation, HookContext context);
