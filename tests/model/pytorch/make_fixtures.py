#!/usr/bin/python3
"""Makes the PyTorch fixtures of `id-forge import` (tests/model/test_pytorch_import.cpp).

Tiny random-weight networks in the published layouts (StarGAN's Generator and
Discriminator, model.py of yunjey/stargan; pix2pix's UnetGenerator, ResnetGenerator and
NLayerDiscriminator, networks.py of junyanz/pytorch-CycleGAN-and-pix2pix), written here
from those layouts, saved the way their training scripts save them, plus each network's
outputs on fixed inputs. Run with Debian's python3-torch (1.13); `make test` needs only the
committed files:

    tests/model/pytorch/make_fixtures.py tests/model/pytorch

`make_fixtures.py --paper-scale FILE` writes instead a StarGAN generator at the published
CelebA scale (conv_dim 64, repeat_num 6, five domains; random weights) for bench/import.sh.

Outputs are computed as the published test scripts run the networks: StarGAN's test() and
pix2pix's test.py without --eval leave the modules in training mode, so InstanceNorm and
BatchNorm normalise with each image's own statistics (one image per batch); dropout is not
built (the importer drops it; the state dict's keys are the same either way).
"""
import functools
import os
import sys

import torch
import torch.nn as nn


# --- StarGAN (model.py) -----------------------------------------------------------------

class ResidualBlock(nn.Module):
    def __init__(self, dim_in, dim_out):
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(dim_in, dim_out, kernel_size=3, stride=1, padding=1, bias=False),
            nn.InstanceNorm2d(dim_out, affine=True, track_running_stats=True),
            nn.ReLU(inplace=True),
            nn.Conv2d(dim_out, dim_out, kernel_size=3, stride=1, padding=1, bias=False),
            nn.InstanceNorm2d(dim_out, affine=True, track_running_stats=True))

    def forward(self, x):
        return x + self.main(x)


class StarGanGenerator(nn.Module):
    def __init__(self, conv_dim, c_dim, repeat_num):
        super().__init__()
        layers = [nn.Conv2d(3 + c_dim, conv_dim, kernel_size=7, stride=1, padding=3, bias=False),
                  nn.InstanceNorm2d(conv_dim, affine=True, track_running_stats=True),
                  nn.ReLU(inplace=True)]
        curr = conv_dim
        for _ in range(2):
            layers += [nn.Conv2d(curr, curr * 2, kernel_size=4, stride=2, padding=1, bias=False),
                       nn.InstanceNorm2d(curr * 2, affine=True, track_running_stats=True),
                       nn.ReLU(inplace=True)]
            curr *= 2
        layers += [ResidualBlock(curr, curr) for _ in range(repeat_num)]
        for _ in range(2):
            layers += [nn.ConvTranspose2d(curr, curr // 2, kernel_size=4, stride=2, padding=1, bias=False),
                       nn.InstanceNorm2d(curr // 2, affine=True, track_running_stats=True),
                       nn.ReLU(inplace=True)]
            curr //= 2
        layers += [nn.Conv2d(curr, 3, kernel_size=7, stride=1, padding=3, bias=False), nn.Tanh()]
        self.main = nn.Sequential(*layers)

    def forward(self, x, c):
        c = c.view(c.size(0), c.size(1), 1, 1).repeat(1, 1, x.size(2), x.size(3))
        return self.main(torch.cat([x, c], dim=1))


class StarGanDiscriminator(nn.Module):
    def __init__(self, image_size, conv_dim, c_dim, repeat_num):
        super().__init__()
        layers = [nn.Conv2d(3, conv_dim, kernel_size=4, stride=2, padding=1), nn.LeakyReLU(0.01)]
        curr = conv_dim
        for _ in range(1, repeat_num):
            layers += [nn.Conv2d(curr, curr * 2, kernel_size=4, stride=2, padding=1), nn.LeakyReLU(0.01)]
            curr *= 2
        self.main = nn.Sequential(*layers)
        self.conv1 = nn.Conv2d(curr, 1, kernel_size=3, stride=1, padding=1, bias=False)
        self.conv2 = nn.Conv2d(curr, c_dim, kernel_size=image_size // 2 ** repeat_num, bias=False)

    def forward(self, x):
        h = self.main(x)
        out_cls = self.conv2(h)
        return self.conv1(h), out_cls.view(out_cls.size(0), out_cls.size(1))


# --- pix2pix (networks.py) ----------------------------------------------------------------

def norm_layer(kind):
    if kind == 'batch':
        return functools.partial(nn.BatchNorm2d, affine=True, track_running_stats=True)
    return functools.partial(nn.InstanceNorm2d, affine=False, track_running_stats=False)


def uses_bias(norm):
    return norm.func == nn.InstanceNorm2d


class UnetSkipConnectionBlock(nn.Module):
    def __init__(self, outer_nc, inner_nc, input_nc=None, submodule=None, outermost=False, innermost=False,
                 norm=None):
        super().__init__()
        self.outermost = outermost
        use_bias = uses_bias(norm)
        if input_nc is None:
            input_nc = outer_nc
        downconv = nn.Conv2d(input_nc, inner_nc, kernel_size=4, stride=2, padding=1, bias=use_bias)
        downrelu = nn.LeakyReLU(0.2, True)
        downnorm = norm(inner_nc)
        uprelu = nn.ReLU(True)
        upnorm = norm(outer_nc)
        if outermost:
            upconv = nn.ConvTranspose2d(inner_nc * 2, outer_nc, kernel_size=4, stride=2, padding=1)
            model = [downconv, submodule, uprelu, upconv, nn.Tanh()]
        elif innermost:
            upconv = nn.ConvTranspose2d(inner_nc, outer_nc, kernel_size=4, stride=2, padding=1, bias=use_bias)
            model = [downrelu, downconv, uprelu, upconv, upnorm]
        else:
            upconv = nn.ConvTranspose2d(inner_nc * 2, outer_nc, kernel_size=4, stride=2, padding=1, bias=use_bias)
            model = [downrelu, downconv, downnorm, submodule, uprelu, upconv, upnorm]
        self.model = nn.Sequential(*model)

    def forward(self, x):
        if self.outermost:
            return self.model(x)
        return torch.cat([x, self.model(x)], 1)


class UnetGenerator(nn.Module):
    def __init__(self, input_nc, output_nc, num_downs, ngf, norm):
        super().__init__()
        block = UnetSkipConnectionBlock(ngf * 8, ngf * 8, innermost=True, norm=norm)
        for _ in range(num_downs - 5):
            block = UnetSkipConnectionBlock(ngf * 8, ngf * 8, submodule=block, norm=norm)
        block = UnetSkipConnectionBlock(ngf * 4, ngf * 8, submodule=block, norm=norm)
        block = UnetSkipConnectionBlock(ngf * 2, ngf * 4, submodule=block, norm=norm)
        block = UnetSkipConnectionBlock(ngf, ngf * 2, submodule=block, norm=norm)
        self.model = UnetSkipConnectionBlock(output_nc, ngf, input_nc=input_nc, submodule=block, outermost=True,
                                             norm=norm)

    def forward(self, x):
        return self.model(x)


class ResnetBlock(nn.Module):
    def __init__(self, dim, norm, use_dropout):
        super().__init__()
        use_bias = uses_bias(norm)
        block = [nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, kernel_size=3, padding=0, bias=use_bias), norm(dim),
                 nn.ReLU(True)]
        if use_dropout:
            block += [nn.Dropout(0.5)]
        block += [nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, kernel_size=3, padding=0, bias=use_bias), norm(dim)]
        self.conv_block = nn.Sequential(*block)

    def forward(self, x):
        return x + self.conv_block(x)


class ResnetGenerator(nn.Module):
    def __init__(self, input_nc, output_nc, ngf, norm, n_blocks, use_dropout=False):
        super().__init__()
        use_bias = uses_bias(norm)
        model = [nn.ReflectionPad2d(3), nn.Conv2d(input_nc, ngf, kernel_size=7, padding=0, bias=use_bias), norm(ngf),
                 nn.ReLU(True)]
        for i in range(2):
            mult = 2 ** i
            model += [nn.Conv2d(ngf * mult, ngf * mult * 2, kernel_size=3, stride=2, padding=1, bias=use_bias),
                      norm(ngf * mult * 2), nn.ReLU(True)]
        mult = 4
        model += [ResnetBlock(ngf * mult, norm, use_dropout) for _ in range(n_blocks)]
        for i in range(2):
            mult = 2 ** (2 - i)
            model += [nn.ConvTranspose2d(ngf * mult, ngf * mult // 2, kernel_size=3, stride=2, padding=1,
                                         output_padding=1, bias=use_bias),
                      norm(ngf * mult // 2), nn.ReLU(True)]
        model += [nn.ReflectionPad2d(3), nn.Conv2d(ngf, output_nc, kernel_size=7, padding=0), nn.Tanh()]
        self.model = nn.Sequential(*model)

    def forward(self, x):
        return self.model(x)


class NLayerDiscriminator(nn.Module):
    def __init__(self, input_nc, ndf, n_layers, norm):
        super().__init__()
        use_bias = uses_bias(norm)
        seq = [nn.Conv2d(input_nc, ndf, kernel_size=4, stride=2, padding=1), nn.LeakyReLU(0.2, True)]
        mult = 1
        for n in range(1, n_layers):
            prev, mult = mult, min(2 ** n, 8)
            seq += [nn.Conv2d(ndf * prev, ndf * mult, kernel_size=4, stride=2, padding=1, bias=use_bias),
                    norm(ndf * mult), nn.LeakyReLU(0.2, True)]
        prev, mult = mult, min(2 ** n_layers, 8)
        seq += [nn.Conv2d(ndf * prev, ndf * mult, kernel_size=4, stride=1, padding=1, bias=use_bias),
                norm(ndf * mult), nn.LeakyReLU(0.2, True)]
        seq += [nn.Conv2d(ndf * mult, 1, kernel_size=4, stride=1, padding=1)]
        self.model = nn.Sequential(*seq)

    def forward(self, x):
        return self.model(x)


# --- fixtures -------------------------------------------------------------------------------

def randomise(net):
    """Random weights everywhere, norms and running statistics included, so that a weight
    mapped to the wrong place or a norm parameter left at its default shows in the outputs."""
    with torch.no_grad():
        for name, t in net.state_dict().items():
            if t.dtype != torch.float32:
                continue
            if name.endswith('running_var'):
                t.uniform_(0.5, 2.0)
            elif name.endswith('weight') and t.dim() == 1:
                t.uniform_(0.5, 1.5)
            else:
                t.normal_(0.0, 0.2)


def per_image(fn, *inputs):
    """The network run on one image at a time, as the published test scripts do."""
    outs = [fn(*(t[i:i + 1] for t in inputs)) for i in range(inputs[0].size(0))]
    if isinstance(outs[0], tuple):
        return tuple(torch.cat([o[k] for o in outs]) for k in range(len(outs[0])))
    return torch.cat(outs)


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    torch.manual_seed(7)

    def save(obj, name, **kw):
        torch.save(obj, os.path.join(out_dir, name), **kw)

    # StarGAN at conv_dim 2, repeat_num 6, five domains, 16 px; saved as its solver saves
    # them (G.state_dict() to N-G.ckpt, D's to N-D.ckpt).
    g = StarGanGenerator(conv_dim=2, c_dim=5, repeat_num=6)
    d = StarGanDiscriminator(image_size=16, conv_dim=2, c_dim=5, repeat_num=3)
    randomise(g), randomise(d)
    g.train(), d.train()
    x = torch.rand(2, 3, 16, 16) * 2 - 1
    c = torch.tensor([[1., 0, 0, 1, 0], [0, 1, 0, 0, 1]])
    with torch.no_grad():
        y = per_image(g, x, c)
        src, cls = per_image(d, x)
    save(g.state_dict(), 'stargan-G.ckpt')
    save(d.state_dict(), 'stargan-D.ckpt')
    save({'x': x, 'c': c, 'y': y, 'src': src, 'cls': cls}, 'stargan-expected.pt')
    # Both in one dict of several entries (as some training scripts save them), and a state
    # dict in PyTorch's legacy (pre-1.6) format.
    save({'iteration': 1000, 'G': g.state_dict(), 'D': d.state_dict()}, 'stargan-GD-in-dict.ckpt')
    save(d.state_dict(), 'stargan-D-legacy.ckpt', _use_new_zipfile_serialization=False)

    # pix2pix at ngf/ndf 2: U-Nets of 6 levels (unet64) with BatchNorm (pix2pix's default
    # norm) and with InstanceNorm on one 64 px sketch, ResNet generators of 6 and 9 blocks on
    # two 16 px sketches, a PatchGAN of the conditional input (6 channels) at 32 px.
    expected = {'z64': torch.rand(1, 3, 64, 64) * 2 - 1, 'z16': torch.rand(2, 3, 16, 16) * 2 - 1,
                'zx32': torch.rand(2, 6, 32, 32) * 2 - 1}
    nets = {
        'unet-batch': (UnetGenerator(3, 3, num_downs=6, ngf=2, norm=norm_layer('batch')), 'z64'),
        'unet-instance': (UnetGenerator(3, 3, num_downs=6, ngf=2, norm=norm_layer('instance')), 'z64'),
        'resnet-instance': (ResnetGenerator(3, 3, ngf=2, norm=norm_layer('instance'), n_blocks=6), 'z16'),
        'resnet-batch-dropout': (ResnetGenerator(3, 3, ngf=2, norm=norm_layer('batch'), n_blocks=9,
                                                 use_dropout=True), 'z16'),
        'patch': (NLayerDiscriminator(6, ndf=2, n_layers=3, norm=norm_layer('batch')), 'zx32'),
    }
    for name, (net, input_name) in nets.items():
        randomise(net)
        net.train()
        for m in net.modules():  # the importer leaves dropout out: compare against the net without it
            if isinstance(m, nn.Dropout):
                m.p = 0.0
        with torch.no_grad():
            expected[name] = per_image(net, expected[input_name])
        save(net.state_dict(), f'pix2pix-{name}.pth')
    save(expected, 'pix2pix-expected.pt')


if __name__ == '__main__':
    if len(sys.argv) == 3 and sys.argv[1] == '--paper-scale':
        torch.manual_seed(1)
        torch.save(StarGanGenerator(conv_dim=64, c_dim=5, repeat_num=6).state_dict(), sys.argv[2])
    else:
        main(sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__)))
